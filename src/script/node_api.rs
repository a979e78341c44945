//! A node's own files and name, as lab objects: `r1.write_file(path, text)`
//! writes a file the node's processes see at `path` (under /etc or /run),
//! journaled and undone like any other change; `r1.hostname("r1")` names
//! the node for what runs in it; `r1.read_file(path)` reads one back.
//! `sleep` lets a script wait for a daemon between looks.

use rhai::{Dynamic, Engine, Map};

use super::api::{Fallible, Shared, define};
use super::probe_api::seconds;
use crate::kernel::wait::{self, Deadline};
use crate::ops::files::{Area, NodePath, check_hostname};
use crate::ops::{Netns, Op};

pub fn register(engine: &mut Engine, lab: &Shared) {
    let l = lab.clone();
    define!(engine, "write_file", ["ns: namespace", "path: string", "text: string"], move |ns: Netns,
                                                                                           path: &str,
                                                                                           text: &str|
          -> Fallible<
        (),
    > {
        super::api::guarded(|| write_file(&l, ns, path, text, Map::new()))
    });
    let l = lab.clone();
    define!(
        engine,
        "write_file",
        ["ns: namespace", "path: string", "text: string", "options: map"],
        move |ns: Netns, path: &str, text: &str, options: Map| -> Fallible<()> {
            super::api::guarded(|| write_file(&l, ns, path, text, options))
        }
    );
    let l = lab.clone();
    define!(engine, "read_file", ["ns: namespace", "path: string"], move |ns: Netns,
                                                                          path: &str|
          -> Fallible<String> {
        super::api::guarded(|| read_file(&l, &ns, path))
    });
    let l = lab.clone();
    define!(engine, "hostname", ["ns: namespace", "name: string"], move |ns: Netns,
                                                                         name: &str|
          -> Fallible<()> {
        super::api::guarded(|| {
            let node = node_of(&ns, "a hostname")?;
            check_hostname(name).map_err(|why| format!("cannot name node '{node}': {why}"))?;
            super::api::apply(
                &l,
                Op::FileWrite { ns, path: "/etc/hostname".into(), content: format!("{name}\n"), mode: 0o644 },
            )
        })
    });
    let l = lab.clone();
    define!(engine, "sleep", ["seconds: float"], move |secs: Dynamic| -> Fallible<()> {
        super::api::guarded(|| sleep(&l, &secs))
    });
}

fn node_of<'a>(ns: &'a Netns, what: &str) -> Fallible<&'a str> {
    ns.name()
        .ok_or_else(|| format!("{what} is a node's: call it on a namespace, like r1.write_file(...)").into())
}

fn write_file(lab: &Shared, ns: Netns, path: &str, text: &str, options: Map) -> Fallible<()> {
    let node = node_of(&ns, "a file")?.to_string();
    let fail = |why: String| format!("cannot write {path} in namespace '{node}': {why}");
    let mut mode = 0o644;
    for (key, value) in options {
        match key.as_str() {
            "mode" => {
                mode = value
                    .as_int()
                    .ok()
                    .and_then(|m| u32::try_from(m).ok())
                    .filter(|m| *m <= 0o7777)
                    .ok_or_else(|| fail(format!("mode must be a file mode like 0o644, not {value}")))?;
            }
            other => return Err(fail(format!("unknown option '{other}'; the options are: mode")).into()),
        }
    }
    let parsed = NodePath::parse(path).map_err(fail)?;
    if parsed.area == Area::Etc && !lab.borrow().net().is_dry_run() {
        // As `ip netns exec` does, a node's /etc files lie over the
        // machine's: one the machine lacks would never be seen.
        let top = std::path::Path::new("/etc").join(&parsed.parts[0]);
        if std::fs::symlink_metadata(&top).is_err() {
            return Err(fail(format!(
                "the node's processes would not see it: files of /etc/netns/{node} lie over what \
                 the machine's /etc has, and it has no {}; put it under /run (the node's own)",
                top.display()
            ))
            .into());
        }
    }
    if parsed.area == Area::Run && !lab.borrow().owns_netns(&ns) {
        return Err(fail("only a namespace this lab made has a /run of its own".into()).into());
    }
    super::api::apply(lab, Op::FileWrite { ns, path: path.to_string(), content: text.to_string(), mode })
}

fn read_file(lab: &Shared, ns: &Netns, path: &str) -> Fallible<String> {
    let node = node_of(ns, "a file")?;
    let fail = |why: String| format!("cannot read {path} in namespace '{node}': {why}");
    let parsed = NodePath::parse(path).map_err(fail)?;
    if lab.borrow().net().is_dry_run() {
        return Ok(String::new());
    }
    // Read as a write's prior state is: beneath the node's own directory,
    // never through a symlink.
    let before = lab.borrow().net().node_file_before(node, &parsed).map_err(|err| fail(err.to_string()))?;
    before.content.ok_or_else(|| fail("there is no such file".to_string()).into())
}

/// Sleeps, waking early (with an error) on an interrupt; no time at all in a dry run.
fn sleep(lab: &Shared, secs: &Dynamic) -> Fallible<()> {
    let wanted = seconds("sleep", secs).map_err(|why| format!("cannot sleep: {why}"))?;
    let (dry, interrupt) = {
        let lab = lab.borrow();
        (lab.net().is_dry_run(), lab.interrupt_flag())
    };
    if dry {
        return Ok(());
    }
    let deadline = Deadline::after(wanted);
    while !deadline.passed() {
        wait::check(&interrupt).map_err(|err| err.to_string())?;
        std::thread::sleep(deadline.next_slice());
    }
    Ok(())
}
