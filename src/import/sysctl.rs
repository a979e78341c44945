//! Kernel settings: `sysctl -w key=value` (and without -w), and writes to
//! /proc/sys: `echo 1 > /proc/sys/net/ipv4/ip_forward`, `echo 1 | tee ...`.

use super::commands::{Understood, shell_text};
use super::shell::{Arg, Command};
use super::step::{Ns, Step};

pub fn parse(args: &[Arg], cmd: &Command, ns: Ns) -> Understood {
    let mut steps = Vec::new();
    let mut write = false;
    let mut reads = false;
    for arg in args {
        match arg.value.as_str() {
            "-w" | "--write" => write = true,
            "-q" | "--quiet" | "-e" => {}
            "-p" | "--load" | "--system" | "-a" | "--all" | "-A" => {
                let mut words = vec![Arg::lit("sysctl")];
                words.extend_from_slice(args);
                return Understood::Steps(vec![Step::NotModelled {
                    ns,
                    command: shell_text(&words, cmd),
                    why: "settings from a file are not followed".into(),
                }]);
            }
            text => match text.split_once('=') {
                Some((key, value)) => {
                    let key = key.trim().replace('/', ".");
                    let value = value_arg(arg, value.trim());
                    steps.push(Step::Sysctl { ns: ns.clone(), key, value });
                }
                None => reads = true,
            },
        }
    }
    let _ = write;
    if steps.is_empty() {
        if reads || !cmd.loose {
            return Understood::Steps(vec![Step::Look { ns, command: cmd.text.clone() }]);
        }
        return Understood::NotACommand;
    }
    Understood::Steps(steps)
}

/// The value part of `key=value`, keeping a variable as one.
fn value_arg(whole: &Arg, value: &str) -> Arg {
    if whole.has_vars()
        && let Some(super::shell::Piece::Var(_)) = whole.pieces.last()
        && whole.pieces.len() == 2
    {
        return Arg { value: value.to_string(), pieces: vec![whole.pieces[1].clone()] };
    }
    Arg::lit(value)
}

/// `/proc/sys/net/ipv4/ip_forward` → `net.ipv4.ip_forward`.
fn key_of(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/proc/sys/")?;
    if rest.is_empty() || rest.contains("..") {
        return None;
    }
    Some(rest.trim_end_matches('/').replace('/', "."))
}

/// `echo VALUE > /proc/sys/KEY`.
pub fn echo(args: &[Arg], cmd: &Command, ns: &Ns) -> Option<Step> {
    let [(_, op, target)] = cmd.redirects.as_slice() else { return None };
    if *op != ">" && *op != ">>" {
        return None;
    }
    let key = key_of(&target.value)?;
    let value = echo_value(args)?;
    Some(Step::Sysctl { ns: ns.clone(), key, value })
}

fn echo_value(args: &[Arg]) -> Option<Arg> {
    let words: Vec<&Arg> = args[1..].iter().filter(|a| !a.value.starts_with('-')).collect();
    match words.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    }
}

/// `echo VALUE | [sudo] tee [-a] /proc/sys/KEY`.
pub fn echo_tee(cmd: &Command, ns: &Ns) -> Option<Step> {
    let mut args = cmd.args.as_slice();
    while args.first().is_some_and(|a| a.value == "sudo") {
        args = &args[1..];
    }
    if args.first()?.value != "echo" || cmd.pipe.len() != 1 {
        return None;
    }
    let value = echo_value(args)?;
    let mut tee = cmd.pipe[0].args.as_slice();
    while tee.first().is_some_and(|a| a.value == "sudo") {
        tee = &tee[1..];
    }
    if tee.first()?.value != "tee" {
        return None;
    }
    let paths: Vec<&Arg> = tee[1..].iter().filter(|a| !a.value.starts_with('-')).collect();
    let [path] = paths.as_slice() else { return None };
    Some(Step::Sysctl { ns: ns.clone(), key: key_of(&path.value)?, value })
}

#[cfg(test)]
mod tests {
    use super::super::ip::tests::steps;
    use super::*;

    fn set(key: &str, value: &str) -> Step {
        Step::Sysctl { ns: Ns::Host, key: key.into(), value: Arg::lit(value) }
    }

    #[test]
    fn forms() {
        assert_eq!(steps("sysctl -w net.ipv4.ip_forward=1"), [set("net.ipv4.ip_forward", "1")]);
        assert_eq!(steps("sudo sysctl net.ipv4.ip_forward=1"), [set("net.ipv4.ip_forward", "1")]);
        assert_eq!(
            steps("sysctl -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1"),
            [set("net.ipv4.ip_forward", "1"), set("net.ipv6.conf.all.forwarding", "1")]
        );
        assert_eq!(steps("echo 1 > /proc/sys/net/ipv4/ip_forward"), [set("net.ipv4.ip_forward", "1")]);
        assert_eq!(
            steps("echo 1 | sudo tee /proc/sys/net/ipv4/ip_forward"),
            [set("net.ipv4.ip_forward", "1")]
        );
        assert_eq!(
            steps("sudo sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'"),
            [set("net.ipv4.ip_forward", "1")]
        );
        assert!(matches!(&steps("sysctl net.ipv4.ip_forward")[0], Step::Look { .. }));
        assert!(matches!(&steps("sysctl -p")[0], Step::NotModelled { .. }));
    }
}
