//! `netscript import`: reads the file (or stdin), writes the script, says
//! on stderr what it found; with --check, builds both and compares.

use std::io::Read;
use std::path::Path;

use super::color;
use super::run::{FAILURE, SUCCESS, USAGE};
use crate::import;

pub fn run(file: &Path, output: Option<&Path>, check: bool) -> i32 {
    let (name, text) = if file == Path::new("-") {
        let mut text = String::new();
        if let Err(err) = std::io::stdin().read_to_string(&mut text) {
            color::eprint_error(&format!("error: cannot read standard input: {err}\n"));
            return USAGE;
        }
        ("<stdin>".to_string(), text)
    } else {
        match std::fs::read(file) {
            Ok(bytes) => (file.display().to_string(), String::from_utf8_lossy(&bytes).into_owned()),
            Err(err) => {
                color::eprint_error(&format!("error: cannot read {}: {err}\n", file.display()));
                return USAGE;
            }
        }
    };
    let source = Path::new(&name).file_name().map_or(name.clone(), |n| n.to_string_lossy().into_owned());
    let mut result = import::import(&source, &text);
    if let Some(path) = output {
        // The header's run line names the file it is in.
        let name = path.display().to_string();
        result.script =
            result.script.replacen("netscript --sandbox lab.rhai", &format!("netscript --sandbox {name}"), 1);
        result.script = result.script.replacen(
            "// Run: sudo netscript lab.rhai",
            &format!("// Run: sudo netscript {name}"),
            1,
        );
    }
    eprint!("{}", import::report(&name, &result));
    match output {
        Some(path) => {
            if let Err(err) = std::fs::write(path, &result.script) {
                color::eprint_error(&format!("error: cannot write {}: {err}\n", path.display()));
                return FAILURE;
            }
            eprintln!(
                "wrote {}; run it with `sudo netscript {}{}{}`",
                path.display(),
                if result.nat { "--sandbox " } else { "" },
                path.display(),
                if result.nat { " internet=internet" } else { "" }
            );
        }
        None => print!("{}", result.script),
    }
    if check {
        return import::check::run(&result);
    }
    SUCCESS
}
