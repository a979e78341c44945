//! Debian's own kernel, fetched once into the cache: the package that
//! `linux-image-amd64` depends on (resolved when the harness runs, so an ABI
//! bump needs no change here), its kernel image decompressed for qemu's PVH
//! entry (the guest then skips decompressing itself, 3 s under TCG), and a
//! trimmed module tree: the modules below and what they depend on, with
//! depmod's indexes so that the kernel's request_module finds them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::Problem;

/// The package whose dependency names the kernel to boot.
pub const META_PACKAGE: &str = "linux-image-amd64";

/// Bumped when the way the tree is made changes, so caches are made again.
const TREE_VERSION: u32 = 2;

/// Modules wanted by name (each must exist, as a module or built in).
const MODULES: &[&str] = &[
    "veth",
    "bridge",
    "br_netfilter",
    "vxlan",
    "macvlan",
    "macvtap",
    "tun",
    "8021q",
    "dummy",
    "vrf",
    "wireguard",
    "bonding",
    "ip_gre",
    "gre",
    "ipip",
    "sit",
    "ip6_gre",
    "ip6_tunnel",
    "ifb",
    "nf_tables",
    "nf_conntrack",
    "nf_nat",
];

/// And every module under kernel/net/ whose name starts with one of these:
/// all of nftables (expressions, chain types, conntrack, NAT, reject, log)
/// and of traffic control (qdiscs, classifiers, actions).
const MODULE_PREFIXES: &[&str] = &["nf_", "nft_", "nfnetlink", "sch_", "cls_", "act_"];

pub struct Kernel {
    /// The package booted, `linux-image-6.1.0-57-amd64`.
    pub package: String,
    /// What `uname -r` says inside, `6.1.0-57-amd64`.
    pub release: String,
    /// The image given to qemu's -kernel.
    pub image: PathBuf,
    /// A directory holding lib/modules/RELEASE, the trimmed tree.
    pub modules: PathBuf,
}

/// The kernel package's name, from apt's view of the meta package.
fn resolve() -> Result<String, Problem> {
    let out =
        Command::new("apt-cache").args(["depends", META_PACKAGE]).stderr(Stdio::piped()).output().map_err(
            |err| Problem::Unavailable(format!("cannot run apt-cache ({err}); this needs Debian's apt")),
        )?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("Depends:"))
        .map(str::trim)
        .find(|name| name.starts_with("linux-image-"))
        .map(str::to_string)
        .ok_or_else(|| {
            Problem::Unavailable(format!(
                "apt-cache names no kernel package for {META_PACKAGE} (run apt-get update): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        })
}

/// The kernel, from the cache or fetched and prepared into it.
pub fn prepare(cache: &Path) -> Result<Kernel, Problem> {
    let package = resolve()?;
    let dir = cache.join(&package);
    let key = format!("{TREE_VERSION} {MODULES:?} {MODULE_PREFIXES:?}\n");
    let ready = dir.join("ready");
    let cached = fs::read_to_string(&ready).unwrap_or_default();
    if let Some((release, _)) = cached.split_once('\n').filter(|(_, wanted)| *wanted == key) {
        return Ok(kernel_in(&dir, package, release.to_string()));
    }
    let deb = fetch(cache, &package)?;
    let release = unpack(&deb, &dir)?;
    fs::write(&ready, format!("{release}\n{key}")).map_err(|err| failed("write", &ready, err))?;
    Ok(kernel_in(&dir, package, release))
}

fn kernel_in(dir: &Path, package: String, release: String) -> Kernel {
    let vmlinux = dir.join("vmlinux");
    let image = if vmlinux.exists() { vmlinux } else { dir.join("vmlinuz") };
    Kernel { package, release, image, modules: dir.join("modules") }
}

/// The .deb, downloaded into the cache unless it is there.
fn fetch(cache: &Path, package: &str) -> Result<PathBuf, Problem> {
    let debs = cache.join("debs");
    fs::create_dir_all(&debs).map_err(|err| failed("make", &debs, err))?;
    let find = || {
        fs::read_dir(&debs).ok()?.flatten().map(|e| e.path()).find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{package}_")) && n.ends_with(".deb"))
        })
    };
    if let Some(deb) = find() {
        return Ok(deb);
    }
    let out = Command::new("apt-get")
        .args(["download", "-q", package])
        .current_dir(&debs)
        .output()
        .map_err(|err| Problem::Unavailable(format!("cannot run apt-get ({err})")))?;
    find().ok_or_else(|| {
        Problem::Unavailable(format!(
            "apt-get download {package} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    })
}

/// Unpacks the package into `dir`: the kernel image and the trimmed module
/// tree. Returns the kernel's release.
fn unpack(deb: &Path, dir: &Path) -> Result<String, Problem> {
    let _ = fs::remove_dir_all(dir);
    let full = dir.join("package");
    fs::create_dir_all(&full).map_err(|err| failed("make", &full, err))?;
    run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&full))?;
    let releases: Vec<String> = fs::read_dir(full.join("lib/modules"))
        .map_err(|err| failed("read", &full.join("lib/modules"), err))?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    let [release] = releases.as_slice() else {
        return Err(Problem::Failed(format!("{} holds module trees {releases:?}, not one", deb.display())));
    };
    let vmlinuz = full.join(format!("boot/vmlinuz-{release}"));
    fs::copy(&vmlinuz, dir.join("vmlinuz")).map_err(|err| failed("copy", &vmlinuz, err))?;
    decompress(&vmlinuz, &dir.join("vmlinux"))?;

    // depmod over the whole package, for modules.dep; then the closure of
    // what is wanted, copied into a tree of its own, indexed again.
    run(Command::new("depmod").arg("-b").arg(&full).arg(release))?;
    let tree = full.join("lib/modules").join(release);
    let dep = fs::read_to_string(tree.join("modules.dep")).map_err(|err| failed("read", &tree, err))?;
    let read = |name: &str| fs::read_to_string(tree.join(name)).unwrap_or_default();
    let needed = closure(&dep, &read("modules.softdep"), &read("modules.alias"), &read("modules.builtin"))?;
    let trimmed = dir.join("modules/lib/modules").join(release);
    for rel in needed.iter().map(String::as_str).chain([
        "modules.builtin",
        "modules.builtin.modinfo",
        "modules.order",
    ]) {
        let to = trimmed.join(rel);
        fs::create_dir_all(to.parent().unwrap()).map_err(|err| failed("make", &to, err))?;
        if tree.join(rel).exists() {
            fs::copy(tree.join(rel), &to).map_err(|err| failed("copy", &to, err))?;
        }
    }
    run(Command::new("depmod").arg("-b").arg(dir.join("modules")).arg(release))?;
    fs::remove_dir_all(&full).map_err(|err| failed("remove", &full, err))?;
    Ok(release.clone())
}

/// The module files (relative to the tree) for MODULES and MODULE_PREFIXES
/// with everything they depend on: modules.dep's hard dependencies and
/// modules.softdep's soft ones (libcrc32c loads nothing without a crc32c
/// module), a soft one by name or by alias.
fn closure(dep: &str, softdep: &str, alias: &str, builtin: &str) -> Result<Vec<String>, Problem> {
    use std::collections::{BTreeSet, HashMap};
    let name = |path: &str| {
        let file = path.rsplit('/').next().unwrap_or(path);
        file.split(".ko").next().unwrap_or(file).replace('-', "_")
    };
    let deps: HashMap<&str, Vec<&str>> = dep
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(module, deps)| (module, deps.split_whitespace().collect()))
        .collect();
    let by_name: HashMap<String, &str> = deps.keys().map(|m| (name(m), *m)).collect();
    let mut aliases: HashMap<String, Vec<&str>> = HashMap::new();
    for line in alias.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let found = match words[..] {
            ["alias", alias, module] => by_name.get(&name(module)).map(|path| (alias, *path)),
            _ => None,
        };
        if let Some((alias, path)) = found {
            aliases.entry(alias.replace('-', "_")).or_default().push(path);
        }
    }
    let mut soft: HashMap<String, Vec<&str>> = HashMap::new();
    for line in softdep.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some("softdep") {
            continue;
        }
        let Some(module) = words.next() else { continue };
        for target in words.filter(|w| !w.ends_with(':')) {
            let target = target.replace('-', "_");
            let found = by_name.get(&target).map(|m| vec![*m]).or_else(|| aliases.get(&target).cloned());
            soft.entry(name(module)).or_default().extend(found.unwrap_or_default());
        }
    }
    let builtin: Vec<String> = builtin.lines().map(name).collect();
    let mut todo: Vec<&str> = Vec::new();
    for wanted in MODULES {
        match by_name.get(*wanted) {
            Some(module) => todo.push(module),
            None if builtin.iter().any(|b| b == wanted) => {}
            None => return Err(Problem::Failed(format!("the kernel package has no module {wanted}"))),
        }
    }
    for (module_name, module) in &by_name {
        if module.starts_with("kernel/net/") && MODULE_PREFIXES.iter().any(|p| module_name.starts_with(p)) {
            todo.push(module);
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(module) = todo.pop() {
        if seen.insert(module.to_string()) {
            todo.extend(deps.get(module).into_iter().flatten());
            todo.extend(soft.get(&name(module)).into_iter().flatten());
        }
    }
    Ok(seen.into_iter().collect())
}

/// The uncompressed kernel (an ELF with a PVH entry, which qemu boots
/// directly) from the XZ stream inside the bzImage. Leaves nothing when the
/// image is compressed otherwise: then the bzImage boots, 3 s slower.
fn decompress(vmlinuz: &Path, to: &Path) -> Result<(), Problem> {
    const XZ: &[u8] = b"\xfd7zXZ\x00";
    let image = fs::read(vmlinuz).map_err(|err| failed("read", vmlinuz, err))?;
    let Some(start) = image.windows(XZ.len()).position(|w| w == XZ) else {
        return Ok(());
    };
    let tmp = to.with_extension("tmp");
    let out = fs::File::create(&tmp).map_err(|err| failed("create", &tmp, err))?;
    let mut xz = Command::new("xz")
        .args(["-dc", "--single-stream"])
        .stdin(Stdio::piped())
        .stdout(out)
        .spawn()
        .map_err(|err| Problem::Failed(format!("cannot run xz ({err})")))?;
    let mut stdin = xz.stdin.take().unwrap();
    let writer = {
        let data = image[start..].to_vec();
        std::thread::spawn(move || {
            use std::io::Write;
            // xz stops reading after the stream; the broken pipe is expected.
            let _ = stdin.write_all(&data);
        })
    };
    let status = xz.wait().map_err(|err| Problem::Failed(format!("xz: {err}")))?;
    let _ = writer.join();
    if !status.success() {
        let _ = fs::remove_file(&tmp);
        return Err(Problem::Failed(format!("xz could not decompress the kernel in {}", vmlinuz.display())));
    }
    fs::rename(&tmp, to).map_err(|err| failed("rename", &tmp, err))
}

fn run(command: &mut Command) -> Result<(), Problem> {
    let shown = format!("{command:?}");
    let out = command.output().map_err(|err| Problem::Unavailable(format!("cannot run {shown} ({err})")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Problem::Failed(format!("{shown} failed: {}", String::from_utf8_lossy(&out.stderr).trim())))
    }
}

pub(super) fn failed(what: &str, path: &Path, err: std::io::Error) -> Problem {
    Problem::Failed(format!("cannot {what} {}: {err}", path.display()))
}
