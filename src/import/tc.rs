//! `tc`: listings are looks; shaping (`tc qdisc add ... netem`, `tbf`, ...)
//! is kept as written until netscript has it.

use super::commands::{Understood, shell_text};
use super::shell::{Arg, Command};
use super::step::{Ns, Step};

pub fn parse(args: &[Arg], cmd: &Command, ns: Ns) -> Understood {
    let words: Vec<&str> = args.iter().map(|a| a.value.as_str()).collect();
    if words.is_empty() {
        return if cmd.loose { Understood::NotACommand } else { Understood::Steps(Vec::new()) };
    }
    let objects = ["qdisc", "class", "filter", "actions", "monitor", "exec"];
    let verb = words.get(1).copied().unwrap_or("show");
    if !objects.iter().any(|o| o.starts_with(words[0]) && !words[0].starts_with('-')) {
        return if cmd.loose {
            Understood::NotACommand
        } else {
            keep(args, cmd, ns, "a tc command import does not know")
        };
    }
    if ["show", "ls", "list"].contains(&verb) {
        return Understood::Steps(vec![Step::Look { ns, command: cmd.text.clone() }]);
    }
    keep(args, cmd, ns, "traffic shaping (tc) is not in netscript yet")
}

fn keep(args: &[Arg], cmd: &Command, ns: Ns, why: &str) -> Understood {
    let mut words = vec![Arg::lit("tc")];
    words.extend_from_slice(args);
    Understood::Steps(vec![Step::NotModelled { ns, command: shell_text(&words, cmd), why: why.into() }])
}

#[cfg(test)]
mod tests {
    use super::super::ip::tests::steps;
    use super::*;

    #[test]
    fn shaping_is_kept_listings_are_looks() {
        assert!(matches!(&steps("tc qdisc show dev eth0")[0], Step::Look { .. }));
        let kept = steps("ip netns exec a tc qdisc add dev eth0 root netem delay 100ms");
        assert!(matches!(&kept[0], Step::NotModelled { ns, command, .. }
            if ns.name() == Some("a") && command.value == "tc qdisc add dev eth0 root netem delay 100ms"));
    }
}
