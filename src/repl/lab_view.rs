//! `:ls`: what the session's lab holds now. Which namespaces and links are
//! the lab's comes from its ledger (as for `netscript ls`); their state and
//! addresses are read live from the kernel.

use std::io::ErrorKind;

use super::table;
use crate::kernel::{LinkInfo, Network};
use crate::lab::{self, ledger};
use crate::ops::Netns;

pub fn describe(kernel: &dyn Network, lab_name: &str) -> Result<String, String> {
    let replay = match ledger::read(lab_name) {
        Ok(replay) => replay,
        Err(err) if err.kind() == ErrorKind::NotFound => {
            return Ok(format!("lab '{lab_name}' holds nothing yet\n"));
        }
        Err(err) => return Err(format!("cannot read the ledger of lab '{lab_name}': {err}")),
    };
    let held = lab::contents(&replay);
    let mut rows = Vec::new();
    for name in &held.namespaces {
        match kernel.links(&Netns::Named(name.clone())) {
            Ok(links) => rows.extend(links.iter().map(|link| row(name, link))),
            Err(err) => rows.push(vec![name.clone(), "-".into(), "-".into(), format!("({err})")]),
        }
    }
    for (ns, dev) in &held.links {
        // A link deleted or moved since is no longer here to show.
        if let Ok(link) = kernel.link(ns, dev) {
            rows.push(row(ns.name().unwrap_or("host"), &link));
        }
    }
    let mut out = if rows.is_empty() {
        format!("lab '{lab_name}' holds no namespaces or links\n")
    } else {
        table::align_to(
            &["NAMESPACE", "LINK", "KIND", "STATE", "MASTER", "ADDRESSES"],
            &rows,
            crate::cli::term::stdout_width(),
        )
    };
    let place = |ns: &Netns| ns.name().unwrap_or("host").to_string();
    for (ns, rule) in &held.rules {
        out.push_str(&format!("rule     {}: {}\n", place(ns), rule.describe()));
    }
    for (ns, key, value) in &held.settings {
        out.push_str(&format!("setting  {}: {key}={value}\n", place(ns)));
    }
    Ok(out)
}

fn row(ns: &str, link: &LinkInfo) -> Vec<String> {
    let or_dash = |text: String| if text.is_empty() { "-".to_string() } else { text };
    vec![
        ns.to_string(),
        link.name.clone(),
        link.kind.clone(),
        link.state.clone(),
        or_dash(link.master.clone().unwrap_or_default()),
        or_dash(link.addresses.join(" ")),
    ]
}
