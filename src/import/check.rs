//! `netscript import --check`: the tutorial's commands, run by bash as far
//! as they run, and the imported script, each build a lab in a sandbox of
//! their own (private network and mount namespaces with their own /run, made
//! by util-linux's `unshare`, as the tests make theirs); then the two
//! states, read with `ip -j` (and the NAT rules with iptables-save and nft),
//! are compared, and what differs is listed, with the warning that explains
//! it where import changed something on purpose.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::Import;
use super::commands::{Understood, understand};
use super::shell::{self, Snippet, Unit};
use super::step::Step;

/// Prints, for the host and each named namespace, what `ip` says, as one
/// JSON document.
const DUMP: &str = r#"echo '{'; for ns in "" $(ls /run/netns); do
  n=${ns:+-n $ns}; x=${ns:+ip netns exec $ns}
  echo "\"${ns:-host}\": {\"link\": $(ip $n -j -d link), \"addr\": $(ip $n -j addr), \"route\": $(ip $n -j route), \"route6\": $(ip $n -j -6 route), \"fwd\": \"$($x cat /proc/sys/net/ipv4/ip_forward)\"},"
  $x iptables-save >rules-${ns:-host}.iptables 2>/dev/null
  $x nft list table inet netscript >rules-${ns:-host}.nft 2>/dev/null
done; echo '"end": 0}'"#;

/// The sandbox both sides run in: private /run, /sys and /etc (an overlay
/// whose writable layer is on the private /run, so a tutorial that writes
/// /etc/netns/NS/resolv.conf or /etc/hosts as root never writes the
/// machine's), with an /etc/netns of its own.
const PREAMBLE: &str = "set -u\n\
    mount -t tmpfs sandbox /run && mkdir -p /run/netns /run/netscript || exit 90\n\
    mkdir -p /run/.etc/up /run/.etc/work && mount -t overlay overlay \
      -o lowerdir=/etc,upperdir=/run/.etc/up,workdir=/run/.etc/work /etc || exit 93\n\
    mkdir -p /etc/netns && mount -t tmpfs -o mode=0755 sandbox /etc/netns || exit 94\n\
    umount -l /sys && mount -t sysfs sysfs /sys || exit 91\n\
    ip link set lo up || exit 92\n";

/// One side's build: what each step said, and the state at the end.
struct Built {
    /// (line, command, exit code, output) of each command that failed.
    failed: Vec<(usize, String, i32, String)>,
    facts: BTreeSet<String>,
}

fn quote(text: &str) -> String {
    crate::ops::quote(text)
}

/// The commands to run as they are: what changes the lab, without sudo
/// (the sandbox is root) and without checks, which change nothing and may
/// not end (`ping` without -c).
fn original_commands(import: &Import) -> Vec<(usize, String)> {
    import
        .commands
        .iter()
        .filter(|(_, c)| {
            let first = c.split_whitespace().find(|w| *w != "sudo").unwrap_or("");
            first != "ping" && first != "ping6" && !c.contains(" ping ")
        })
        .map(|(l, c)| {
            let mut c = c.trim_start();
            while let Some(rest) = c.strip_prefix("sudo ") {
                c = rest.trim_start();
            }
            (*l, c.to_string())
        })
        .collect()
}

fn stand_in(dir: &Path, netscript: &Path, uplink: &str) -> Result<String, String> {
    let script = "import \"nat\" as nat;\nnat::stand_in(\"internet\", param(\"uplink\", \"eth0\"));\n";
    std::fs::write(dir.join("stand-in.rhai"), script).map_err(|e| e.to_string())?;
    Ok(format!(
        "{} --lab internet stand-in.rhai uplink={} >stand-in.out 2>&1 || exit 93\n",
        quote(&netscript.display().to_string()),
        quote(uplink)
    ))
}

/// Runs `steps` (shell lines) in a fresh sandbox in `dir`, then the dump.
fn sandbox(dir: &Path, steps: &str) -> Result<Value, String> {
    let script = format!(
        "{PREAMBLE}cd {}\n{steps}\n( {DUMP} ) >state.json 2>state.err\n",
        quote(&dir.display().to_string())
    );
    let status = Command::new("unshare")
        .args(["--net", "--mount", "--propagation", "private", "bash", "-c", &script])
        .status()
        .map_err(|e| format!("cannot run unshare (util-linux): {e}"))?;
    match status.code() {
        Some(0) => {}
        Some(90..=92) => return Err("cannot set up the sandbox (it needs root)".into()),
        Some(93) => {
            let out = std::fs::read_to_string(dir.join("stand-in.out")).unwrap_or_default();
            return Err(format!("cannot make the stand-in internet: {}", out.trim()));
        }
        _ => return Err(format!("the sandbox failed: {status}")),
    }
    let text = std::fs::read_to_string(dir.join("state.json")).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| format!("cannot read the state of the sandbox: {e}"))
}

fn build_original(dir: &Path, netscript: &Path, import: &Import, uplink: &str) -> Result<Built, String> {
    let mut steps = String::new();
    if import.nat {
        steps.push_str(&stand_in(dir, netscript, uplink)?);
    }
    let commands = original_commands(import);
    for (i, (_, command)) in commands.iter().enumerate() {
        std::fs::write(dir.join(format!("c{i}.sh")), command).map_err(|e| e.to_string())?;
        steps.push_str(&format!("timeout 10 bash c{i}.sh >c{i}.out 2>&1 </dev/null; echo $? >c{i}.rc\n"));
    }
    let state = sandbox(dir, &steps)?;
    let mut failed = Vec::new();
    for (i, (line, command)) in commands.iter().enumerate() {
        let rc: i32 = std::fs::read_to_string(dir.join(format!("c{i}.rc")))
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(-1);
        if rc != 0 {
            let out = std::fs::read_to_string(dir.join(format!("c{i}.out"))).unwrap_or_default();
            failed.push((*line, command.clone(), rc, out.trim().lines().next().unwrap_or("").to_string()));
        }
    }
    Ok(Built { failed, facts: facts(dir, &state) })
}

fn build_script(dir: &Path, netscript: &Path, import: &Import, uplink: &str) -> Result<Built, String> {
    std::fs::write(dir.join("lab.rhai"), &import.script).map_err(|e| e.to_string())?;
    let params =
        if import.nat { format!(" internet=internet uplink={}", quote(uplink)) } else { String::new() };
    let steps = format!(
        "{} --lab lab lab.rhai{params} >lab.out 2>lab.err </dev/null; echo $? >lab.rc\n",
        quote(&netscript.display().to_string())
    );
    let state = sandbox(dir, &steps)?;
    let rc: i32 =
        std::fs::read_to_string(dir.join("lab.rc")).ok().and_then(|t| t.trim().parse().ok()).unwrap_or(-1);
    let mut failed = Vec::new();
    if rc != 0 {
        let err = std::fs::read_to_string(dir.join("lab.err")).unwrap_or_default();
        failed.push((0, "the script".to_string(), rc, err.trim().to_string()));
    }
    Ok(Built { failed, facts: facts(dir, &state) })
}

/// What a lab is, as sentences that can be compared: links, addresses,
/// routes, forwarding and NAT rules of each namespace.
fn facts(dir: &Path, state: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Some(spaces) = state.as_object() else { return out };
    for (ns, dump) in spaces {
        if ns == "end" {
            continue;
        }
        if ns != "host" {
            out.insert(format!("{ns}: namespace"));
        }
        for link in dump["link"].as_array().into_iter().flatten() {
            let name = link["ifname"].as_str().unwrap_or("?");
            let kind = link["linkinfo"]["info_kind"].as_str().unwrap_or(if name == "lo" {
                "loopback"
            } else {
                "device"
            });
            let up = link["flags"].as_array().is_some_and(|f| f.iter().any(|x| x == "UP"));
            let master = link["master"].as_str().map(|m| format!(", on {m}")).unwrap_or_default();
            let mtu = link["mtu"]
                .as_u64()
                .filter(|m| *m != 1500 && *m != 65536)
                .map(|m| format!(", mtu {m}"))
                .unwrap_or_default();
            out.insert(format!("{ns}: link {name} ({kind}{master}{mtu}) {}", if up { "up" } else { "down" }));
        }
        for link in dump["addr"].as_array().into_iter().flatten() {
            let name = link["ifname"].as_str().unwrap_or("?");
            for a in link["addr_info"].as_array().into_iter().flatten() {
                if a["scope"] == "link" || a["scope"] == "host" {
                    continue;
                }
                out.insert(format!(
                    "{ns}: address {}/{} on {name}",
                    a["local"].as_str().unwrap_or("?"),
                    a["prefixlen"]
                ));
            }
        }
        for key in ["route", "route6"] {
            for r in dump[key].as_array().into_iter().flatten() {
                let dst = r["dst"].as_str().unwrap_or("?");
                if dst.starts_with("fe80:") || dst.starts_with("ff00:") || dst.starts_with("multicast") {
                    continue;
                }
                let via = r["gateway"].as_str().map(|g| format!(" via {g}")).unwrap_or_default();
                let dev = r["dev"].as_str().map(|d| format!(" dev {d}")).unwrap_or_default();
                let metric = r["metric"]
                    .as_u64()
                    .filter(|m| *m != 0 && *m != 256 && *m != 1024)
                    .map(|m| format!(" metric {m}"))
                    .unwrap_or_default();
                out.insert(format!("{ns}: route {dst}{via}{dev}{metric}"));
            }
        }
        if dump["fwd"] == "1" {
            out.insert(format!("{ns}: forwarding on"));
        }
        let read =
            |ext: &str| std::fs::read_to_string(dir.join(format!("rules-{ns}.{ext}"))).unwrap_or_default();
        let all = rules(&read("iptables"), &read("nft"));
        for rule in &all {
            // A rule held twice is a fact of its own.
            let n = all.iter().filter(|r| *r == rule).count();
            let times = if n > 1 { format!(" ({n} times)") } else { String::new() };
            out.insert(format!("{ns}: {rule}{times}"));
        }
    }
    out
}

/// The NAT and forward rules of a namespace, from iptables-save and from
/// netscript's table, in words, read with import's own parsers.
fn rules(iptables_save: &str, nft: &str) -> Vec<String> {
    let mut snippets = Vec::new();
    let mut table = "filter".to_string();
    for line in iptables_save.lines() {
        if let Some(t) = line.strip_prefix('*') {
            table = t.trim().to_string();
        } else if line.starts_with("-A ") {
            snippets.push(Snippet {
                line: 0,
                text: format!("iptables -t {table} {line}"),
                heredoc: None,
                loose: false,
            });
        }
    }
    if !nft.trim().is_empty() {
        snippets.push(Snippet {
            line: 0,
            text: "nft -f - <<'NFT'".into(),
            heredoc: Some(nft.to_string()),
            loose: false,
        });
    }
    let mut out = Vec::new();
    for unit in shell::parse(&snippets) {
        let Unit::Command(cmd) = unit else { continue };
        let Understood::Steps(steps) = understand(&cmd) else { continue };
        for step in steps {
            out.push(match step {
                Step::Masquerade { subnet, out: o, .. } => format!(
                    "masquerade {} out {}",
                    subnet.map_or("everything".to_string(), |s| s.value),
                    o.map_or("any link".to_string(), |o| o.value)
                ),
                Step::Forward { from, to, replies, .. } => {
                    format!(
                        "forward accept {} -> {}{}",
                        from.value,
                        to.value,
                        if replies { " (replies)" } else { "" }
                    )
                }
                Step::PortForward { proto, port, to, .. } => format!("port forward {proto} {port} to {to}"),
                Step::NotModelled { command, .. } => {
                    format!("rule {}", command.value.lines().next().unwrap_or(""))
                }
                _ => continue,
            });
        }
    }
    out
}

/// Which warning explains a difference: one that names the same link or
/// address.
fn explained_by(fact: &str, import: &Import) -> Option<usize> {
    let words: Vec<&str> = fact
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',' || c == ':')
        .filter(|w| {
            w.len() > 2
                && !["link", "address", "route", "via", "dev", "veth", "bridge", "on", "up", "down", "host"]
                    .contains(w)
        })
        .collect();
    let renamed: Vec<&str> = import.renames.iter().flat_map(|(a, b)| [a.as_str(), b.as_str()]).collect();
    import
        .warnings
        .iter()
        .find(|w| {
            words.iter().any(|word| {
                w.text.contains(&format!("'{word}'"))
                    || w.text.contains(&format!(" {word} "))
                    || w.text.contains(&format!(" {word},"))
                    || w.text.contains(&format!(" {word}:"))
                    || (word.contains('/') && w.text.contains(word.split('/').next().unwrap_or("-")))
                    || renamed.contains(word)
            }) || (fact.contains("forwarding on") && w.text.contains("forwarding"))
                || (fact.contains("masquerade") && w.text.contains("masquerade"))
                || (fact.contains(" times)") && w.text.contains("same rule"))
        })
        .map(|w| w.line)
}

/// Builds both, compares, prints the comparison; the exit code.
pub fn run(import: &Import) -> i32 {
    let netscript = match std::env::current_exe() {
        Ok(path) => path,
        Err(err) => {
            crate::cli::color::eprint_error(&format!(
                "error: --check: cannot find netscript itself: {err}\n"
            ));
            return 1;
        }
    };
    match compare(&netscript, import) {
        Ok((text, same)) => {
            eprint!("{text}");
            if same { 0 } else { 1 }
        }
        Err(err) => {
            crate::cli::color::eprint_error(&format!("error: --check: {err}\n"));
            1
        }
    }
}

fn temp_dir(name: &str) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("netscript-check-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    Ok(dir)
}

/// The comparison in words, and whether the two labs are the same.
fn compare(netscript: &Path, import: &Import) -> Result<(String, bool), String> {
    let uplink = import.uplink.clone().unwrap_or_else(|| "eth0".into());
    let (a, b) = (temp_dir("original")?, temp_dir("script")?);
    let original = build_original(&a, netscript, import, &uplink);
    let script = build_script(&b, netscript, import, &uplink);
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
    let (original, script) = (original?, script?);
    let mut text = String::from(
        "check: the tutorial's commands (run by bash) and the script, each built in a sandbox of its own",
    );
    if import.nat {
        text.push_str(&format!(", with a stand-in internet behind {uplink}"));
    }
    text.push_str(":\n");
    let ran = original_commands(import).len();
    text.push_str(&format!("  the tutorial's commands: {ran} run, {} failed\n", original.failed.len()));
    for (line, command, rc, out) in &original.failed {
        let first = command.lines().next().unwrap_or("");
        text.push_str(&format!("    line {line}: `{first}` exited {rc}: {out}\n"));
    }
    if let Some((_, _, rc, err)) = script.failed.first() {
        text.push_str(&format!("  the script failed (exit {rc}):\n"));
        for line in err.lines() {
            text.push_str(&format!("    {line}\n"));
        }
    } else {
        text.push_str("  the script: built, and its checks passed\n");
    }
    let only_original: Vec<&String> = original.facts.difference(&script.facts).collect();
    let only_script: Vec<&String> = script.facts.difference(&original.facts).collect();
    if only_original.is_empty() && only_script.is_empty() {
        text.push_str(&format!(
            "  the two labs are the same ({} facts: links, addresses, routes, forwarding, NAT rules)\n",
            original.facts.len()
        ));
        return Ok((text, script.failed.is_empty()));
    }
    text.push_str(&format!(
        "  the two labs differ ({} facts alike); expected where import fixed a mistake:\n",
        original.facts.intersection(&script.facts).count()
    ));
    let mut unexplained = 0;
    for (side, facts) in
        [("only after the tutorial's commands", &only_original), ("only in the script's lab", &only_script)]
    {
        if facts.is_empty() {
            continue;
        }
        text.push_str(&format!("    {side}:\n"));
        for fact in facts.iter() {
            let twice =
                |f: &String| f.starts_with(&format!("{fact} (")) || fact.starts_with(&format!("{f} ("));
            if let Some(w) = import.warnings.iter().find(|w| w.text.contains("same rule"))
                && (only_original.iter().any(|f| twice(f)) || only_script.iter().any(|f| twice(f)))
            {
                text.push_str(&format!("      {fact}   (import's fix, line {})\n", w.line));
                continue;
            }
            if fact.contains(": link lo (loopback)") {
                text.push_str(&format!("      {fact}   (netns_add brings loopback up)\n"));
                continue;
            }
            // A link the tutorial failed to make, or that a failed command names.
            let generic =
                ["link", "address", "route", "via", "dev", "on", "up", "down", "(veth)", "(bridge)"];
            let names: Vec<&str> = fact.split_whitespace().skip(1).filter(|w| !generic.contains(w)).collect();
            if let Some((line, ..)) =
                original.failed.iter().find(|(_, c, ..)| c.split_whitespace().any(|w| names.contains(&w)))
            {
                text.push_str(&format!("      {fact}   (the tutorial's line {line} failed)\n"));
                continue;
            }
            match explained_by(fact, import) {
                Some(line) => text.push_str(&format!("      {fact}   (import's fix, line {line})\n")),
                None => {
                    unexplained += 1;
                    text.push_str(&format!("      {fact}\n"));
                }
            }
        }
    }
    if unexplained == 0 {
        text.push_str("  every difference comes from a fix import made\n");
    }
    Ok((text, unexplained == 0 && script.failed.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_in_words() {
        let save = "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 10.0.0.0/24 -o eth0 -j MASQUERADE\nCOMMIT\n*filter\n-A FORWARD -i v -o eth0 -j ACCEPT\nCOMMIT\n";
        let nft = "table inet netscript {\n\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\tip saddr 10.0.0.0/24 ip daddr != 10.0.0.0/24 oifname \"eth0\" masquerade comment \"netscript: masquerade 10.0.0.0/24 out eth0\"\n\t}\n}\n";
        assert_eq!(
            rules(save, nft),
            [
                "masquerade 10.0.0.0/24 out eth0",
                "forward accept v -> eth0",
                "masquerade 10.0.0.0/24 out eth0"
            ]
        );
    }
}
