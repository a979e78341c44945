//! Rules the kernel enforces that netscript can know beforehand, with the
//! words for each: the kernel backend says them when the kernel refuses,
//! and the dry run checks them itself, so both refuse the same things alike.

use std::path::{Path, PathBuf};

/// The most ports Linux puts on one bridge: port numbers are 10 bits
/// (BR_MAX_PORTS, 1024) and number 0 is never given.
pub const BRIDGE_MAX_PORTS: usize = 1023;

/// The mtu range of a kind of link, where Linux fixes it.
pub fn mtu_range(kind: &str) -> Option<(u32, u32)> {
    match kind {
        // ETH_MIN_MTU to ETH_MAX_MTU.
        "veth" | "bridge" => Some((68, 65535)),
        _ => None,
    }
}

pub fn mtu_out_of_range(dev: &str, mtu: u32, (min, max): (u32, u32)) -> String {
    format!("'{dev}' takes an mtu from {min} to {max}, not {mtu}")
}

pub fn port_of_itself(dev: &str) -> String {
    format!("'{dev}' cannot be a port of itself")
}

pub fn bridge_in_bridge(dev: &str) -> String {
    format!(
        "'{dev}' is a bridge, and Linux does not let a bridge be a port of another bridge: \
         join the two with a veth pair, one end a port of each"
    )
}

pub fn bridge_full(bridge: &str) -> String {
    format!(
        "bridge '{bridge}' has {BRIDGE_MAX_PORTS} ports already, as many as Linux allows on one \
         bridge: put further ports on a second bridge"
    )
}

pub fn not_a_bridge(master: &str) -> String {
    format!("'{master}' cannot take ports (is it a bridge?)")
}

/// Why a link of this kind cannot move to another namespace, if it cannot.
pub fn stays_in_its_namespace(dev: &str, kind: &str, target: &super::Netns) -> Option<String> {
    match kind {
        "loopback" => Some(format!("'{dev}' cannot leave its namespace")),
        "bridge" => Some(format!(
            "'{dev}' is a bridge, and Linux keeps a bridge in the namespace it was made in: \
             make the bridge in {target} instead (ns.bridge_add)"
        )),
        _ => None,
    }
}

/// What is wrong with writing `value` to a sysctl whose value now is
/// `current`: the kernel's numeric sysctls take whole numbers only.
pub fn sysctl_value_problem(key: &str, current: &str, value: &str) -> Option<String> {
    let numbers = |text: &str| {
        let words: Vec<&str> = text.split_whitespace().collect();
        (!words.is_empty() && words.iter().all(|w| w.parse::<i64>().is_ok())).then_some(words.len())
    };
    let wanted = numbers(current)?;
    match numbers(value) {
        Some(given) if given == wanted => None,
        _ if wanted == 1 => Some(format!("{key} takes a whole number, not '{value}'")),
        _ => Some(format!("{key} takes {wanted} whole numbers, not '{value}'")),
    }
}

/// The program a command runs, when it is a plain name that is not on
/// PATH (nor a shell builtin, for a command line that `sh -c` runs).
pub fn missing_program(argv: &[String]) -> Option<String> {
    let program = match argv {
        [sh, flag, line] if sh == "sh" && flag == "-c" => {
            let first = line.split_whitespace().next()?;
            // Shell syntax, variables, assignments: not for us to judge.
            let plain = first.chars().all(|c| c.is_alphanumeric() || "-_.+/".contains(c));
            if !plain || SHELL_BUILTINS.contains(&first) {
                return None;
            }
            first
        }
        [program, ..] => program.as_str(),
        [] => return None,
    };
    (!on_path(program)).then(|| program.to_string())
}

pub fn no_program(program: &str) -> String {
    format!("no program '{program}' (not found in PATH)")
}

const SHELL_BUILTINS: &[&str] = &[
    ".", ":", "[", "alias", "break", "cd", "command", "continue", "echo", "eval", "exec", "exit", "export",
    "false", "kill", "printf", "pwd", "read", "readonly", "return", "set", "shift", "test", "trap", "true",
    "type", "ulimit", "umask", "unset", "wait", "if", "for", "while", "until", "case", "{", "(", "!",
];

fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let executable =
        |path: &Path| path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    if program.contains('/') {
        return executable(Path::new(program));
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path).any(|dir: PathBuf| executable(&dir.join(program)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysctl_values_follow_the_current_one() {
        assert_eq!(
            sysctl_value_problem("net.ipv4.ip_forward", "0", "banana").as_deref(),
            Some("net.ipv4.ip_forward takes a whole number, not 'banana'")
        );
        assert_eq!(sysctl_value_problem("net.ipv4.ip_forward", "0", "1"), None);
        assert_eq!(sysctl_value_problem("net.ipv4.ip_forward", "0", "-1"), None);
        assert_eq!(
            sysctl_value_problem("net.ipv4.ip_local_port_range", "32768\t60999", "1024").as_deref(),
            Some("net.ipv4.ip_local_port_range takes 2 whole numbers, not '1024'")
        );
        // Text sysctls take text.
        assert_eq!(sysctl_value_problem("net.ipv4.tcp_congestion_control", "cubic", "reno"), None);
    }

    #[test]
    fn programs_are_looked_up_on_path() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(missing_program(&words(&["sh", "-c", "echo hi"])), None);
        assert_eq!(missing_program(&words(&["sh", "-c", "ls /"])), None);
        assert_eq!(
            missing_program(&words(&["sh", "-c", "no-such-program-x --flag"])).as_deref(),
            Some("no-such-program-x")
        );
        assert_eq!(missing_program(&words(&["sh", "-c", "X=1 foo"])), None);
        assert_eq!(missing_program(&words(&["no-such-program-x"])).as_deref(), Some("no-such-program-x"));
        assert_eq!(missing_program(&words(&["/bin/sh"])), None);
    }
}
