//! `tc`: listings are looks; a root tbf or netem on a link is
//! `link_shape`, its removal `link_unshape`. What link_shape cannot say
//! (classes, filters, a qdisc under a parent, netem's correlations and
//! distributions, tbf's byte limit) is kept as written, with the reason.

use super::commands::{Understood, shell_text};
use super::shell::{Arg, Command};
use super::step::{Ns, Step, Value};

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
    if !"qdisc".starts_with(words[0]) {
        return keep(args, cmd, ns, "tc classes, filters and actions are beyond link_shape");
    }
    match root_qdisc(&args[1..]) {
        Ok(step) => Understood::Steps(vec![step.into_step(ns)]),
        Err(why) => keep(args, cmd, ns, &why),
    }
}

/// What a `tc qdisc VERB dev DEV root ...` asks of the link.
enum Root {
    Shape { dev: Arg, options: Vec<(String, Value)> },
    Unshape { dev: Arg },
}

impl Root {
    fn into_step(self, ns: Ns) -> Step {
        match self {
            Root::Shape { dev, options } => {
                Step::Call { ns, func: "link_shape".into(), args: vec![Value::Dev(dev)], opts: options }
            }
            Root::Unshape { dev } => {
                Step::Call { ns, func: "link_unshape".into(), args: vec![Value::Dev(dev)], opts: Vec::new() }
            }
        }
    }
}

/// `args` after `qdisc`: the verb, then dev, root, an optional handle and
/// the qdisc with its parameters.
fn root_qdisc(args: &[Arg]) -> Result<Root, String> {
    let words: Vec<&str> = args.iter().map(|a| a.value.as_str()).collect();
    let verb = words.first().copied().unwrap_or_default();
    let deleting = ["del", "delete"].contains(&verb);
    if !deleting && !["add", "replace", "change"].contains(&verb) {
        return Err(format!("'tc qdisc {verb}' is not shaping netscript models"));
    }
    let (mut dev, mut root, mut kind) = (None, false, None);
    let mut i = 1;
    while i < words.len() && kind.is_none() {
        match words[i] {
            "dev" if i + 1 < words.len() => {
                dev = Some(args[i + 1].clone());
                i += 1;
            }
            "root" => root = true,
            "handle" if i + 1 < words.len() => i += 1,
            "parent" => return Err("a qdisc under a parent (a class tree) is beyond link_shape".into()),
            "ingress" | "clsact" => return Err("ingress qdiscs are beyond link_shape".into()),
            "tbf" | "netem" => kind = Some(words[i]),
            other if deleting => return Err(format!("'{other}' in a qdisc deletion")),
            other => {
                return Err(format!("the '{other}' qdisc is beyond link_shape, which makes tbf and netem"));
            }
        }
        i += 1;
    }
    let dev = dev.ok_or("a qdisc command without dev")?;
    if !root {
        return Err("only a link's root qdisc is link_shape's".into());
    }
    if deleting {
        return Ok(Root::Unshape { dev });
    }
    let options = match kind {
        Some("tbf") => tbf(&words[i..])?,
        Some(_) => netem(&words[i..])?,
        None => return Err("a qdisc command without its qdisc".into()),
    };
    if options.is_empty() {
        return Err("a qdisc without parameters".into());
    }
    Ok(Root::Shape { dev, options })
}

fn text(value: &str) -> Value {
    Value::Text(value.to_string())
}

/// tbf's rate, burst and latency; netscript sizes the queue from the latency.
fn tbf(words: &[&str]) -> Result<Vec<(String, Value)>, String> {
    let mut options = Vec::new();
    let mut pairs = words.chunks(2);
    for pair in pairs.by_ref() {
        match pair {
            [key @ ("rate" | "burst" | "latency"), value] => options.push((key.to_string(), text(value))),
            ["buffer" | "maxburst", value] => options.push(("burst".into(), text(value))),
            ["limit", _] => {
                return Err("tbf's queue in bytes (limit) is beyond link_shape, which takes latency".into());
            }
            other => return Err(format!("tbf's '{}' is beyond link_shape", other.join(" "))),
        }
    }
    if !options.iter().any(|(k, _)| k == "rate") {
        return Err("tbf without a rate".into());
    }
    Ok(options)
}

/// netem's delay (with jitter), loss, duplicate, corrupt, reorder, rate and
/// limit, each with at most its value: correlations, distributions and
/// loss models are netem's own and kept as written.
fn netem(words: &[&str]) -> Result<Vec<(String, Value)>, String> {
    let mut options = Vec::new();
    let mut i = 0;
    let is_time = |w: &str| w.trim_end_matches(|c: char| c.is_ascii_alphabetic()).parse::<f64>().is_ok();
    while i < words.len() {
        let key = words[i];
        let value = words.get(i + 1).copied().ok_or_else(|| format!("netem's '{key}' without a value"))?;
        i += 2;
        match key {
            "delay" => {
                options.push(("delay".into(), text(value)));
                if let Some(jitter) = words.get(i).filter(|w| is_time(w) && !w.ends_with('%')) {
                    options.push(("jitter".into(), text(jitter)));
                    i += 1;
                }
            }
            "loss" | "drop" if value == "random" => {
                let share = words.get(i).ok_or("netem's loss without a value")?;
                options.push(("loss".into(), text(share)));
                i += 1;
            }
            "loss" | "drop" if value.ends_with('%') || value.parse::<f64>().is_ok() => {
                options.push(("loss".into(), text(value)));
            }
            "loss" | "drop" => return Err(format!("netem's {value} loss model is beyond link_shape")),
            "duplicate" | "corrupt" | "reorder" | "rate" => options.push((key.into(), text(value))),
            "limit" => {
                let packets = value.parse::<u32>().map_err(|_| format!("netem's limit '{value}'"))?;
                options.push(("limit".into(), Value::Number(packets)));
            }
            other => return Err(format!("netem's '{other}' is beyond link_shape")),
        }
        // A correlation after a share ("loss 10% 25%") is netem's own.
        if words.get(i).is_some_and(|w| w.ends_with('%')) {
            return Err(format!("netem's correlation ('{key} ... {}') is beyond link_shape", words[i]));
        }
    }
    // A rate alone would be tbf's.
    if options.iter().all(|(k, _)| k == "rate") {
        options.insert(0, ("qdisc".into(), text("netem")));
    }
    Ok(options)
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

    fn call(text: &str) -> (String, Vec<(String, Value)>) {
        match &steps(text)[0] {
            Step::Call { func, opts, .. } => (func.clone(), opts.clone()),
            other => panic!("{text}: {other:?}"),
        }
    }

    fn kept(text: &str) -> String {
        match &steps(text)[0] {
            Step::NotModelled { why, .. } => why.clone(),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn root_netem_and_tbf_are_link_shape_and_del_is_link_unshape() {
        assert!(matches!(&steps("tc qdisc show dev eth0")[0], Step::Look { .. }));
        let (func, opts) = call("ip netns exec a tc qdisc add dev eth0 root netem delay 100ms 10ms loss 20%");
        assert_eq!(func, "link_shape");
        assert_eq!(
            opts,
            [("delay".into(), text("100ms")), ("jitter".into(), text("10ms")), ("loss".into(), text("20%"))]
        );
        let (_, opts) =
            call("tc qdisc replace dev wan root handle 1: tbf rate 1mbit burst 32kbit latency 400ms");
        assert_eq!(opts[0], ("rate".into(), text("1mbit")));
        let (_, opts) = call("tc qdisc add dev veth0 root netem rate 5mbit limit 1000");
        assert_eq!(opts[1], ("limit".into(), Value::Number(1000)));
        let (_, opts) = call("tc qdisc add dev veth0 root netem rate 5mbit");
        assert_eq!(opts, [("qdisc".into(), text("netem")), ("rate".into(), text("5mbit"))]);
        assert_eq!(call("tc qdisc del dev eth0 root").0, "link_unshape");
    }

    #[test]
    fn what_link_shape_cannot_say_is_kept_with_its_reason() {
        assert!(kept("tc qdisc add dev eth0 root handle 1: htb default 10").contains("'htb' qdisc"));
        assert!(kept("tc qdisc add dev eth0 parent 1:1 netem delay 10ms").contains("parent"));
        assert!(kept("tc qdisc add dev eth0 root netem delay 10ms 5ms 25%").contains("correlation"));
        assert!(kept("tc qdisc add dev eth0 root netem loss gemodel 1% 10%").contains("gemodel"));
        assert!(kept("tc qdisc add dev eth0 root tbf rate 1mbit burst 10kb limit 10kb").contains("limit"));
        assert!(kept("tc class add dev eth0 parent 1: classid 1:1 htb rate 1mbit").contains("classes"));
    }
}
