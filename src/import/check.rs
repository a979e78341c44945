//! `--check`: placeholder.

use super::Import;

pub fn run(_import: &Import) -> i32 {
    eprintln!("--check: not yet");
    1
}
