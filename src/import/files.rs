//! A tutorial's files for a namespace: what it writes under /etc/netns/NS/
//! (`echo nameserver 10.0.0.1 > /etc/netns/red/resolv.conf`, a `cat` or
//! `tee` with a here-document) becomes the node's `write_file`, journaled
//! and undone; the `mkdir -p /etc/netns/NS` before it needs no step, since
//! write_file makes the directories.

use super::shell::{Arg, Command};
use super::step::{Ns, Step};

/// The node and the path as the node sees it, of a literal path under
/// /etc/netns/NODE/.
fn node_path(arg: &Arg) -> Option<(String, String)> {
    if arg.has_vars() {
        return None;
    }
    // A node's /run, where netscript keeps it (as its dry run prints it).
    let runs = format!("{}/", crate::ops::files::nodes_dir().display());
    let (node, path) = if let Some(rest) = arg.value.strip_prefix(&runs) {
        let (node, file) = rest.split_once("/run/")?;
        (node, format!("/run/{}", file.trim_end_matches('/')))
    } else {
        let rest = arg.value.strip_prefix("/etc/netns/")?;
        let (node, file) = rest.split_once('/')?;
        (node, format!("/etc/{}", file.trim_end_matches('/')))
    };
    crate::ops::files::NodePath::parse(&path).ok()?;
    crate::ops::check_netns_name(node).ok()?;
    Some((node.to_string(), path))
}

/// A directory of a node's own: under /etc/netns/NODE or its /run.
fn is_node_dir(arg: &Arg) -> bool {
    let runs = format!("{}/", crate::ops::files::nodes_dir().display());
    !arg.has_vars()
        && !arg.value.contains("..")
        && (arg.value.strip_prefix("/etc/netns/").is_some_and(|r| !r.is_empty())
            || arg.value.strip_prefix(&runs).is_some_and(|r| !r.is_empty()))
}

fn words(args: &[Arg]) -> Vec<&str> {
    let mut w: Vec<&str> = args.iter().map(|a| a.value.as_str()).collect();
    while w.first() == Some(&"sudo") {
        w.remove(0);
    }
    w
}

/// `mkdir [-p] /etc/netns/NODE[/...]` (every path a node's).
pub fn is_node_mkdir(args: &[Arg]) -> bool {
    let w = words(args);
    let paths: Vec<&Arg> =
        args.iter().skip(args.len() - w.len() + 1).filter(|a| !a.value.starts_with('-')).collect();
    w.first() == Some(&"mkdir") && !paths.is_empty() && paths.iter().all(|a| is_node_dir(a))
}

/// `chmod 644 /etc/netns/NODE/FILE`: what write_file gives a file anyway
/// (netscript's own dry run prints it after each file).
pub fn is_default_chmod(args: &[Arg]) -> bool {
    matches!(words(args).as_slice(), ["chmod", "644", _])
        && args.last().is_some_and(|a| node_path(a).is_some())
}

/// The text `echo` prints, when it is plain words (a newline after them).
fn echo_text(args: &[Arg]) -> Option<String> {
    let w = words(args);
    let (first, rest) = w.split_first()?;
    if *first != "echo" || rest.iter().any(|a| a.starts_with('-')) || args.iter().any(Arg::has_vars) {
        return None;
    }
    Some(format!("{}\n", rest.join(" ")))
}

fn write(node: String, path: String, content: String) -> Step {
    Step::NodeFile { ns: Ns::named(&node), path, content }
}

/// A write of a whole file under /etc/netns/NODE/: `echo TEXT > F`,
/// `cat > F <<EOF`, `tee F <<EOF`, `echo TEXT | tee F`. Appends (`>>`,
/// `tee -a`) are not: the file's earlier content is not known here.
pub fn node_file(cmd: &Command) -> Option<Step> {
    let w = words(&cmd.args);
    // The here-document's own `<<EOF` says where the input is, nothing more.
    let redirects: Vec<_> = cmd.redirects.iter().filter(|r| !r.1.starts_with("<<")).cloned().collect();
    match (w.first().copied(), redirects.as_slice(), cmd.pipe.as_slice()) {
        (Some("echo"), [(None | Some(1), ">", target)], []) => {
            let (node, path) = node_path(target)?;
            Some(write(node, path, echo_text(&cmd.args)?))
        }
        (Some("cat"), [(None | Some(1), ">", target)], []) if w.len() == 1 => {
            let (node, path) = node_path(target)?;
            Some(write(node, path, cmd.heredoc.clone()?))
        }
        (Some("tee"), [], []) if w.len() == 2 => {
            let (node, path) = node_path(cmd.args.last()?)?;
            Some(write(node, path, cmd.heredoc.clone()?))
        }
        (Some("echo"), [], [tee]) if tee.redirects.iter().all(|r| r.2.value == "/dev/null") => {
            let t = words(&tee.args);
            if t.len() != 2 || t[0] != "tee" {
                return None;
            }
            let (node, path) = node_path(tee.args.last()?)?;
            Some(write(node, path, echo_text(&cmd.args)?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::ip::tests::steps;
    use super::*;

    fn with_heredoc(text: &str, heredoc: &str) -> Vec<Step> {
        use super::super::commands::{Understood, understand};
        use super::super::shell::{Snippet, Unit, parse};
        let snippet = Snippet { line: 1, text: text.into(), heredoc: Some(heredoc.into()), loose: false };
        let units = parse(&[snippet]);
        let Unit::Command(cmd) = &units[0] else { panic!("{units:?}") };
        match understand(cmd) {
            Understood::Steps(s) => s,
            Understood::NotACommand => panic!("not a command: {text}"),
        }
    }

    fn file(node: &str, path: &str, content: &str) -> Step {
        Step::NodeFile { ns: Ns::named(node), path: path.into(), content: content.into() }
    }

    #[test]
    fn writes_under_etc_netns_are_the_nodes_files() {
        let resolv = file("red", "/etc/resolv.conf", "nameserver 10.0.0.1\n");
        assert_eq!(
            steps("echo nameserver 10.0.0.1 > /etc/netns/red/resolv.conf"),
            std::slice::from_ref(&resolv)
        );
        assert_eq!(steps("echo \"nameserver 10.0.0.1\" | sudo tee /etc/netns/red/resolv.conf"), [resolv]);
        assert_eq!(steps("sudo mkdir -p /etc/netns/red"), []);
        assert_eq!(steps("chmod 644 '/etc/netns/red/resolv.conf'"), []);
        // A node's /run, as netscript's dry run writes it.
        assert_eq!(steps("mkdir -p '/run/netscript/nodes/srv/run/dnsmasq'"), []);
        assert_eq!(
            with_heredoc(
                "cat > '/run/netscript/nodes/srv/run/dnsmasq/lan.conf' <<'NETSCRIPT_FILE'",
                "port=0\n"
            ),
            [file("srv", "/run/dnsmasq/lan.conf", "port=0\n")]
        );
        let hosts = file("blue", "/etc/hosts", "10.0.0.2 red\n");
        assert_eq!(
            with_heredoc("cat > /etc/netns/blue/hosts <<EOF", "10.0.0.2 red\n"),
            std::slice::from_ref(&hosts)
        );
        assert_eq!(with_heredoc("sudo tee /etc/netns/blue/hosts <<'EOF'", "10.0.0.2 red\n"), [hosts]);
    }

    #[test]
    fn appends_and_paths_outside_a_node_stay_as_written() {
        for line in
            ["echo x >> /etc/netns/red/hosts", "echo x > /etc/hosts", "echo x > /etc/netns/red/../../passwd"]
        {
            assert!(
                matches!(steps(line).as_slice(), [Step::NotModelled { .. }]),
                "{line}: {:?}",
                steps(line)
            );
        }
    }
}
