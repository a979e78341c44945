//! What a rollback says: each change it undid when they are few (or with
//! -v), else a count by kind, with the full list in a file it names.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use crate::lab::Teardown;

/// Up to this many changes are listed one a line.
const LISTED: usize = 8;

/// What was rolled back: "of this run", "of this input".
pub fn describe(report: &Teardown, of: &str, verbose: bool, lab: &str) -> String {
    describe_with(report, of, verbose, &mut |text| save_list(lab, text))
}

/// As `describe`, with `save` writing the full list somewhere and saying where.
fn describe_with(
    report: &Teardown,
    of: &str,
    verbose: bool,
    save: &mut dyn FnMut(&str) -> Option<PathBuf>,
) -> String {
    let mut out = String::new();
    let n = report.undone.len();
    if n > 0 {
        let changes = if n == 1 { "1 change".to_string() } else { format!("{n} changes") };
        let list: String = report.undone.iter().map(|op| format!("  {}\n", op.describe())).collect();
        if verbose || n <= LISTED {
            out.push_str(&format!("rolled back {changes} {of}:\n{list}"));
        } else {
            let place = match save(&list) {
                Some(path) => format!("the list is in {} (-v prints it)", path.display()),
                None => "-v prints the list".to_string(),
            };
            out.push_str(&format!("rolled back {changes} {of}: {}; {place}\n", report.summary()));
        }
    }
    for err in &report.errors {
        out.push_str(&format!("rollback incomplete: {err}\n"));
    }
    out
}

/// Writes the list to a new file of its own in the temporary directory
/// (never one that is there already, nor through a link).
fn save_list(lab: &str, list: &str) -> Option<PathBuf> {
    let dir = std::env::temp_dir();
    let pid = std::process::id();
    for attempt in 0..10 {
        let suffix = if attempt == 0 { String::new() } else { format!("-{attempt}") };
        let path = dir.join(format!("netscript-{lab}-rollback-{pid}{suffix}.txt"));
        match OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path) {
            Ok(mut file) => return file.write_all(list.as_bytes()).ok().map(|()| path),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{Netns, Op};

    fn report(namespaces: usize, links: usize) -> Teardown {
        let mut undone = Vec::new();
        for i in 0..links {
            undone.push(Op::LinkDel { ns: Netns::Host, dev: format!("v{i}") });
        }
        for i in 0..namespaces {
            undone.push(Op::NetnsDel { name: format!("h{i}") });
        }
        Teardown { undone, ..Teardown::default() }
    }

    #[test]
    fn few_changes_are_listed() {
        let mut saved = |_: &str| -> Option<PathBuf> { panic!("nothing to save") };
        assert_eq!(
            describe_with(&report(1, 1), "of this run", false, &mut saved),
            "rolled back 2 changes of this run:\n  delete link 'v0'\n  delete namespace 'h0'\n"
        );
        assert_eq!(describe_with(&report(0, 0), "of this run", false, &mut saved), "");
    }

    #[test]
    fn many_are_counted_by_kind_with_the_list_in_a_file() {
        let mut list = String::new();
        let mut saved = |text: &str| {
            list = text.to_string();
            Some(PathBuf::from("/tmp/list.txt"))
        };
        assert_eq!(
            describe_with(&report(400, 800), "of this run", false, &mut saved),
            "rolled back 1200 changes of this run: removed 400 namespaces, 800 links; the list is in \
             /tmp/list.txt (-v prints it)\n"
        );
        assert_eq!(list.lines().count(), 1200);
        assert!(list.starts_with("  delete link 'v0'\n"));
        // -v lists them all.
        let text = describe_with(&report(400, 800), "of this run", true, &mut |_| None);
        assert_eq!(text.lines().count(), 1201);
    }

    #[test]
    fn the_list_goes_to_a_new_file() {
        let path = save_list("test-lab", "  delete link 'x'\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "  delete link 'x'\n");
        let again = save_list("test-lab", "b").unwrap();
        assert_ne!(path, again);
        let _ = std::fs::remove_file(path);
        let _ = std::fs::remove_file(again);
    }
}
