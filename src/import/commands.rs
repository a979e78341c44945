//! What one command means: `sudo` and `sh -c` unwrapped, `ip netns exec`
//! followed into its namespace, and each program handed to its parser.
//! Programs that are not network configuration run as they are (exec, or
//! start_process when they end with `&`); network configuration netscript
//! does not model is kept as written, and says so.

use super::shell::{self, Arg, Command, Piece, Snippet, Unit};
use super::step::{Ns, Step, Value};
use super::{files, ip, iptables, nft, sysctl, tc};

/// What a command came to.
pub enum Understood {
    Steps(Vec<Step>),
    /// Not a command at all (prose that happened to start like one).
    NotACommand,
}

/// Programs that only show things.
const LOOKS: &[&str] = &[
    "ls",
    "cat",
    "route",
    "ifconfig",
    "arp",
    "netstat",
    "ss",
    "lsns",
    "brctl",
    "grep",
    "iptables-save",
    "ip6tables-save",
    "conntrack",
    "ethtool",
    "watch",
    "tcpdump",
    "dig",
    "nslookup",
    "host",
    "traceroute",
    "tracepath",
    "mtr",
];

/// Shell housekeeping that changes nothing in the lab.
const HOUSEKEEPING: &[&str] = &["set", "cd", "true", "wait", "sleep", ":", "clear", "exit", "su"];

pub fn understand(cmd: &Command) -> Understood {
    // A pipeline: `echo 1 | tee /proc/sys/...`, or something to look at.
    if let Some(step) = files::node_file(cmd) {
        return Understood::Steps(vec![step]);
    }
    if !cmd.pipe.is_empty() {
        if let Some(step) = sysctl::echo_tee(cmd, &Ns::Host) {
            return Understood::Steps(vec![step]);
        }
        if is_look(&cmd.args, cmd) && cmd.pipe.iter().all(|p| is_look(&p.args, p)) {
            return Understood::Steps(vec![Step::Look { ns: Ns::Host, command: cmd.text.clone() }]);
        }
        if cmd.loose {
            return Understood::NotACommand;
        }
        let why = "a pipeline of commands".to_string();
        return Understood::Steps(vec![Step::NotModelled {
            ns: Ns::Host,
            command: shell_text(&cmd.args, cmd),
            why,
        }]);
    }
    run(&cmd.args, cmd, Ns::Host)
}

/// The command in `args` (a tail of `cmd`'s words), run in `ns`.
pub fn run(args: &[Arg], cmd: &Command, ns: Ns) -> Understood {
    let understood = meaning(args, cmd, ns.clone());
    // From netscript's own dry run, what import does not model (or only
    // looks) ran as an exec() of these words: so it stays.
    match understood {
        Understood::Steps(steps)
            if cmd.faithful
                && cmd.pipe.is_empty()
                && cmd.redirects.is_empty()
                && !steps.is_empty()
                && steps.iter().all(|s| matches!(s, Step::NotModelled { .. } | Step::Look { .. })) =>
        {
            Understood::Steps(vec![Step::ExecWords { ns, argv: args.to_vec() }])
        }
        other => other,
    }
}

/// `bridge fdb add|append|del MAC dev D [dst IP] [vni N] [vlan N] [self|master] [static|permanent]`
/// and `bridge vlan add|del dev D vid N [pvid] [untagged] [self]`.
fn bridge(args: &[Arg], ns: &Ns) -> Option<Step> {
    let w: Vec<&str> = args.iter().map(|a| a.value.as_str()).collect();
    let value = |key: &str| w.iter().position(|x| *x == key).and_then(|i| args.get(i + 1));
    let dev = value("dev")?.clone();
    match w.as_slice() {
        ["fdb", verb @ ("add" | "append" | "del" | "delete"), mac, rest @ ..] => {
            let mut opts = Vec::new();
            let mut i = 0;
            while i < rest.len() {
                match rest[i] {
                    "dev" => i += 1,
                    "dst" => {
                        opts.push(("dst".to_string(), Value::Text(rest.get(i + 1)?.to_string())));
                        i += 1;
                    }
                    "vni" | "vlan" => {
                        opts.push((rest[i].to_string(), Value::Number(rest.get(i + 1)?.parse().ok()?)));
                        i += 1;
                    }
                    "master" => opts.push(("master".to_string(), Value::Bool(true))),
                    "static" => opts.push(("state".to_string(), Value::Text("static".into()))),
                    "self" | "permanent" => {}
                    _ => return None,
                }
                i += 1;
            }
            let func = match *verb {
                "add" => "fdb_add",
                "append" => "fdb_append",
                _ => "fdb_del",
            };
            Some(Step::Call {
                ns: ns.clone(),
                func: func.into(),
                args: vec![Value::Dev(dev), Value::Text(mac.to_string())],
                opts,
            })
        }
        ["vlan", verb @ ("add" | "del" | "delete"), rest @ ..] => {
            let vid: u32 = value("vid")?.value.parse().ok()?;
            let mut opts = Vec::new();
            for word in rest {
                match *word {
                    "pvid" => opts.push(("pvid".to_string(), Value::Bool(true))),
                    "untagged" => opts.push(("untagged".to_string(), Value::Bool(true))),
                    "self" | "dev" | "vid" => {}
                    other if other == dev.value || other.parse::<u32>().is_ok() => {}
                    _ => return None,
                }
            }
            let func = if *verb == "add" { "bridge_vlan_add" } else { "bridge_vlan_del" };
            if func == "bridge_vlan_del" {
                opts.clear();
            }
            Some(Step::Call {
                ns: ns.clone(),
                func: func.into(),
                args: vec![Value::Dev(dev), Value::Number(vid)],
                opts,
            })
        }
        _ => None,
    }
}

fn meaning(args: &[Arg], cmd: &Command, ns: Ns) -> Understood {
    let Some(first) = args.first() else { return Understood::Steps(Vec::new()) };
    let program = first.value.rsplit('/').next().unwrap_or("").to_string();
    let steps = |s: Vec<Step>| Understood::Steps(s);
    let not_modelled = |why: &str| {
        Understood::Steps(vec![Step::NotModelled {
            ns: ns.clone(),
            command: shell_text(args, cmd),
            why: why.to_string(),
        }])
    };
    match program.as_str() {
        "sudo" => {
            let mut rest = &args[1..];
            while let Some(opt) = rest.first().filter(|a| a.value.starts_with('-')) {
                rest = &rest[1..];
                if matches!(opt.value.as_str(), "-u" | "-g" | "-C" | "-h" | "-p") {
                    rest = rest.get(1..).unwrap_or(&[]);
                }
            }
            if rest.is_empty() {
                return steps(Vec::new());
            }
            run(rest, cmd, ns)
        }
        "sh" | "bash" if args.len() >= 3 && args[1].value == "-c" => {
            // The string is a script of its own, on the same line.
            let inner = Snippet { line: cmd.line, text: args[2].value.clone(), heredoc: None, loose: false };
            let mut all = Vec::new();
            for unit in shell::parse(&[inner]) {
                match unit {
                    Unit::Command(inner) => match run(&inner.args, &inner, ns.clone()) {
                        Understood::Steps(s) => all.extend(s),
                        Understood::NotACommand => return not_modelled("a command inside sh -c"),
                    },
                    _ => return not_modelled("shell inside sh -c that import does not follow"),
                }
            }
            steps(all)
        }
        "ip" => ip::parse(&args[1..], cmd, ns),
        "iptables" | "ip6tables" | "iptables-nft" | "iptables-legacy" => {
            iptables::parse(&args[1..], cmd, ns, program.starts_with("ip6"))
        }
        "nft" => nft::parse(&args[1..], cmd, ns),
        "tc" => tc::parse(&args[1..], cmd, ns),
        "sysctl" => sysctl::parse(&args[1..], cmd, ns),
        "echo" | "printf" => match sysctl::echo(args, cmd, &ns) {
            Some(step) => steps(vec![step]),
            None if cmd.redirects.is_empty() => steps(Vec::new()),
            None => not_modelled("a write to a file"),
        },
        "ping" | "ping6" => ping(&args[1..], ns),
        "export" => steps(Vec::new()),
        "setsid" if cmd.background => {
            // netscript's own dry run starts processes so.
            let argv = &args[1..];
            let words: Vec<&str> = argv.iter().map(|a| a.value.as_str()).collect();
            if let [program, "listen", proto @ ("tcp" | "udp"), port] = words.as_slice()
                && program.ends_with("netscript")
                && let Ok(port) = port.parse()
            {
                return steps(vec![Step::Listen { ns, proto: proto.to_string(), port }]);
            }
            steps(vec![Step::Process { ns, argv: argv.to_vec() }])
        }
        // netscript's own dry run: a program run in a node as netscript runs
        // it there (its /run and hostname), the program being what follows.
        "unshare" if in_node(args, &ns).is_some() => run(in_node(args, &ns).unwrap_or_default(), cmd, ns),
        "mkdir" if files::is_node_mkdir(args) => steps(Vec::new()),
        "chmod" if files::is_default_chmod(args) => steps(Vec::new()),
        "modprobe" | "iptables-restore" | "ip6tables-restore" | "bridge" | "systemctl" | "mount"
        | "umount" | "nsenter" | "unshare" | "kill" | "killall" | "pkill" | "rm" | "mkdir" | "touch"
        | "chmod" => {
            let objects = ["link", "fdb", "vlan", "mdb", "monitor", "vni"];
            if program == "bridge"
                && !args
                    .get(1)
                    .is_some_and(|a| objects.iter().any(|o| !a.value.is_empty() && o.starts_with(&a.value)))
            {
                return if cmd.loose {
                    Understood::NotACommand
                } else {
                    not_modelled("a bridge command import does not know")
                };
            }
            if program == "bridge" && (args.iter().any(|a| a.value == "show") || args.len() == 2) {
                return steps(vec![Step::Look { ns, command: shell_text(args, cmd).value }]);
            }
            if program == "bridge"
                && let Some(step) = bridge(&args[1..], &ns)
            {
                return steps(vec![step]);
            }
            not_modelled(match program.as_str() {
                "bridge" => "this bridge command is not modelled",
                "modprobe" => "loading a kernel module is the host's business",
                _ => "a command that changes things netscript does not track",
            })
        }
        p if HOUSEKEEPING.contains(&p) => steps(Vec::new()),
        _ if is_look(args, cmd) => steps(vec![Step::Look { ns, command: shell_text(args, cmd).value }]),
        _ if cmd.loose => Understood::NotACommand,
        _ => steps(vec![Step::Exec { ns, command: shell_text(args, cmd), background: cmd.background }]),
    }
}

/// The program after `unshare -m -u sh -c SCRIPT -`, when SCRIPT is the
/// node script netscript's dry run prints for namespace `ns`.
fn in_node<'a>(args: &'a [Arg], ns: &Ns) -> Option<&'a [Arg]> {
    let node = ns.name()?;
    let w: Vec<&str> = args.iter().take(6).map(|a| a.value.as_str()).collect();
    let script = crate::ops::node_script(node);
    (w == ["unshare", "-m", "-u", "sh", "-c", script.as_str()] && args.get(6).is_some_and(|a| a.value == "-"))
        .then(|| &args[7..])
        .filter(|rest| !rest.is_empty())
}

fn is_look(args: &[Arg], cmd: &Command) -> bool {
    let Some(first) = args.first() else { return false };
    let program = first.value.rsplit('/').next().unwrap_or("");
    if !cmd.redirects.iter().all(|r| r.1 == ">&" || r.2.value == "/dev/null") {
        return false;
    }
    match program {
        "ip" => ip::is_look(&args[1..]),
        "iptables" | "ip6tables" => args.iter().any(|a| {
            matches!(
                a.value.as_str(),
                "-L" | "-S" | "--list" | "-nvL" | "-vnL" | "-nL" | "-Ln" | "-vL" | "-L -n"
            ) || a.value.starts_with("-L")
                || (a.value.starts_with('-')
                    && !a.value.starts_with("--")
                    && a.value.contains('L')
                    && a.value.len() <= 5)
        }),
        "nft" => args.get(1).is_some_and(|a| {
            a.value == "list" || a.value == "-a" && args.get(2).is_some_and(|b| b.value == "list")
        }),
        "tc" => args.iter().any(|a| a.value == "show" || a.value == "ls" || a.value == "list"),
        "sysctl" => {
            args.len() >= 2
                && args[1..].iter().all(|a| !a.value.contains('=') && a.value != "-w" && a.value != "-p")
        }
        "bridge" => args.iter().any(|a| a.value == "show") || args.len() == 2,
        "route" | "ifconfig" => args[1..].iter().all(|a| a.value.starts_with('-')),
        p => LOOKS.contains(&p),
    }
}

/// `ping [-c N] [-W T] [-i I] [-I DEV] [-4|-6] [-q] TARGET`.
fn ping(args: &[Arg], ns: Ns) -> Understood {
    let mut target = None;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i].value;
        if matches!(a.as_str(), "-c" | "-W" | "-w" | "-i" | "-I" | "-s" | "-t" | "-Q" | "-M" | "-p" | "-l") {
            i += 2;
            continue;
        }
        if a.starts_with('-') {
            i += 1;
            continue;
        }
        if target.is_some() {
            return Understood::NotACommand;
        }
        target = Some(args[i].clone());
        i += 1;
    }
    let Some(target) = target else { return Understood::NotACommand };
    let plain = |c: char| c.is_ascii_alphanumeric() || ".-:_".contains(c);
    if target.value.is_empty() || !target.value.chars().all(plain) {
        return Understood::NotACommand;
    }
    Understood::Steps(vec![Step::Ping { ns, target }])
}

/// The words as a command line (shell-quoted), variables kept as variables.
pub fn words_text(args: &[Arg]) -> Arg {
    let mut out = Arg { value: String::new(), pieces: Vec::new() };
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            push_lit(&mut out, " ");
        }
        push_arg(&mut out, arg);
    }
    out
}

fn push_lit(out: &mut Arg, text: &str) {
    out.value.push_str(text);
    match out.pieces.last_mut() {
        Some(Piece::Lit(t)) => t.push_str(text),
        _ => out.pieces.push(Piece::Lit(text.to_string())),
    }
}

fn push_arg(out: &mut Arg, arg: &Arg) {
    if !arg.has_vars() {
        push_lit(out, &crate::ops::quote(&arg.value));
        return;
    }
    for piece in &arg.pieces {
        match piece {
            Piece::Lit(t) => push_lit(out, t),
            Piece::Var(v) => {
                out.pieces.push(Piece::Var(v.clone()));
            }
        }
    }
    out.value.push_str(&arg.value);
}

/// A command as it would be typed again: its words, redirections, pipes
/// and here-document.
pub fn shell_text(args: &[Arg], cmd: &Command) -> Arg {
    let mut out = words_text(args);
    let mut heredoc_delim = None;
    for (fd, op, target) in &cmd.redirects {
        push_lit(&mut out, &format!(" {}{op}", fd.map(|f| f.to_string()).unwrap_or_default()));
        if op.starts_with("<<") && *op != "<<<" {
            push_lit(&mut out, &format!("'{}'", target.value));
            heredoc_delim = Some(target.value.clone());
        } else {
            push_arg(&mut out, target);
        }
    }
    for next in &cmd.pipe {
        push_lit(&mut out, " | ");
        let rest = shell_text(&next.args, next);
        out.value.push_str(&rest.value);
        for piece in rest.pieces {
            match (piece, out.pieces.last_mut()) {
                (Piece::Lit(t), Some(Piece::Lit(last))) => last.push_str(&t),
                (piece, _) => out.pieces.push(piece),
            }
        }
    }
    if cmd.background {
        push_lit(&mut out, " &");
    }
    if let (Some(delim), Some(body)) = (heredoc_delim, &cmd.heredoc) {
        push_lit(&mut out, &format!("\n{body}{delim}"));
    }
    out
}
