//! The initramfs: busybox for /init and as a fallback for every command, the
//! host's own programs the tests run (iproute2, nft, ping, bash, util-linux,
//! coreutils...) with their shared libraries, the kernel's trimmed modules,
//! and the netscript binary and the integration test binary at the absolute
//! paths they were built at (CARGO_BIN_EXE_netscript is compiled in), with
//! the repository's scripts and docs beside them as the tests expect.
//!
//! Host files keep their place and the symlinks on the way to them (/bin ->
//! usr/bin, /usr/bin/awk -> /etc/alternatives/awk -> mawk), so a path that
//! works on the host works inside. The archive is cached under a key made of
//! every input's path, size and mtime: it is written again only when
//! something in it changed (the binaries, after a build).

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashSet, VecDeque};
use std::ffi::OsString;
use std::fs;
use std::hash::{Hash, Hasher};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use super::Problem;
use super::cpio::Cpio;
use super::kernel::{Kernel, failed};

/// The /init the kernel runs.
const INIT: &str = include_str!("init.sh");

/// Where busybox's applets are linked; last on the VM's PATH, so a host
/// program of the same name wins.
pub const BUSYBOX_DIR: &str = "/usr/libexec/netscript-vm/busybox";

/// What /init sources: the test binary, where to run it, the kernel.
pub const ENV_FILE: &str = "/netscript-vm/env";

/// Programs the image must have: the observers the tests use and what the
/// sandbox and the kernel's module loading need.
const REQUIRED: &[&str] =
    &["ip", "tc", "bridge", "nft", "ping", "bash", "sh", "unshare", "mount", "umount", "modprobe"];

/// Programs taken when the host has them; busybox stands in for the rest.
const OPTIONAL: &[&str] = &[
    // util-linux, procps, kmod, iproute2
    "nsenter", "setpriv", "script", "setsid", "kill", "dmesg", "flock", "ps", "pgrep", "pkill", "sysctl",
    "lsmod", "ss", "iperf3", // coreutils and friends
    "cat", "ls", "mkdir", "mv", "cp", "rm", "ln", "chmod", "touch", "sleep", "seq", "timeout", "date",
    "echo", "printf", "head", "tail", "wc", "sort", "uniq", "tr", "cut", "env", "stat", "id", "readlink",
    "realpath", "uname", "tee", "basename", "dirname", "mktemp", "true", "false", "test", "[", "nproc", "dd",
    "sync", "nohup", "expr", "od", "grep", "sed", "awk", "find", "xargs", "diff", "cmp",
];

/// Data files the programs read, when the host has them.
const DATA: &[&str] = &[
    "/etc/iproute2",
    "/usr/share/iproute2",
    "/usr/lib/x86_64-linux-gnu/tc",
    "/usr/lib/tc",
    "/etc/protocols",
    "/etc/services",
    "/etc/ethertypes",
    "/etc/nsswitch.conf",
];

/// The repository's folders the tests read (scripts/, docs/ ...).
const REPO_DIRS: &[&str] = &["scripts", "docs", "stdlib", "tests", "bench"];

const SEARCH_PATH: &[&str] = &["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

enum Source {
    Dir,
    Host(PathBuf),
    /// A binary copied without its debug info (a quarter of the size).
    Stripped(PathBuf),
    Bytes(Vec<u8>, u32),
    Symlink(String),
}

/// What the archive will hold, in order, before anything is written.
struct Plan {
    entries: Vec<(String, Source)>,
    seen: HashSet<String>,
    libs_done: HashSet<PathBuf>,
}

/// The initramfs for this test binary, built unless cached.
pub fn build(cache: &Path, kernel: &Kernel, test_bin: &Path) -> Result<PathBuf, Problem> {
    let plan = plan(kernel, test_bin)?;
    let mut hasher = DefaultHasher::new();
    for (path, source) in &plan.entries {
        path.hash(&mut hasher);
        match source {
            Source::Dir => 0.hash(&mut hasher),
            Source::Host(p) | Source::Stripped(p) => {
                let meta = fs::metadata(p).map_err(|err| failed("stat", p, err))?;
                (p, meta.len(), meta.mtime(), meta.mtime_nsec()).hash(&mut hasher)
            }
            Source::Bytes(data, mode) => (data, mode).hash(&mut hasher),
            Source::Symlink(target) => target.hash(&mut hasher),
        }
    }
    let name = format!("initramfs-{:016x}.cpio", hasher.finish());
    let path = cache.join(&name);
    if path.exists() {
        return Ok(path);
    }
    // Only the newest image is kept.
    for old in fs::read_dir(cache).into_iter().flatten().flatten() {
        let old_name = old.file_name().to_string_lossy().to_string();
        if old_name.starts_with("initramfs-") {
            let _ = fs::remove_file(old.path());
        }
    }
    let tmp = cache.join(format!("{name}.{}.tmp", std::process::id()));
    write(&plan, &tmp, cache).map_err(|err| failed("write", &tmp, err))?;
    fs::rename(&tmp, &path).map_err(|err| failed("rename", &tmp, err))?;
    Ok(path)
}

fn plan(kernel: &Kernel, test_bin: &Path) -> Result<Plan, Problem> {
    let mut plan = Plan { entries: Vec::new(), seen: HashSet::new(), libs_done: HashSet::new() };
    for dir in ["/proc", "/sys", "/dev", "/run", "/tmp", "/root", "/etc", "/var/tmp"] {
        plan.add(dir, Source::Dir);
    }
    // The host's top-level links (/bin -> usr/bin on a merged /usr) first.
    for top in ["/bin", "/sbin", "/lib", "/lib64"] {
        if let Ok(target) = fs::read_link(top) {
            plan.add(top, Source::Symlink(target.to_string_lossy().to_string()));
        }
    }
    plan.add("/init", Source::Bytes(INIT.as_bytes().to_vec(), 0o755));
    plan.add(
        "/etc/passwd",
        Source::Bytes(
            b"root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
                .to_vec(),
            0o644,
        ),
    );
    plan.add("/etc/group", Source::Bytes(b"root:x:0:\ntty:x:5:\nnogroup:x:65534:\n".to_vec(), 0o644));

    let busybox = find_program("busybox").ok_or_else(|| {
        Problem::Unavailable("no busybox on this machine (apt-get install busybox-static)".into())
    })?;
    let busybox = plan.host_file(&busybox)?;
    if busybox != Path::new("/usr/bin/busybox") {
        // Where /init finds it.
        plan.add("/usr/bin/busybox", Source::Symlink(busybox.to_string_lossy().to_string()));
    }
    let list = Command::new(&busybox).arg("--list").output().map_err(|err| failed("run", &busybox, err))?;
    let busybox_path = busybox.to_string_lossy().to_string();
    for applet in String::from_utf8_lossy(&list.stdout).lines().filter(|a| !a.is_empty() && !a.contains('/'))
    {
        plan.add(&format!("{BUSYBOX_DIR}/{applet}"), Source::Symlink(busybox_path.clone()));
    }

    for name in REQUIRED {
        let path = find_program(name).ok_or_else(|| {
            Problem::Unavailable(format!("no `{name}` on this machine: the VM image needs it (see .ci/run)"))
        })?;
        plan.program(&path, false)?;
    }
    for name in OPTIONAL {
        if let Some(path) = find_program(name) {
            plan.program(&path, false)?;
        }
    }
    // Debian's python3, for the tests' UDP probes and JSON checks, with its
    // standard library less what no test imports (tests, tools, the
    // static library): about 25 MB.
    if let Some(python) = find_program("python3") {
        let real = plan.resolve(&python);
        let version = real.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let lib = PathBuf::from("/usr/lib").join(&version);
        if version.starts_with("python3") && lib.is_dir() {
            plan.program(&python, false)?;
            let real_lib = plan.resolve(&lib);
            let skip = [
                "test",
                "idlelib",
                "tkinter",
                "turtledemo",
                "lib2to3",
                "ensurepip",
                "pydoc_data",
                "config-",
                "distutils",
            ];
            plan.tree_except(&real_lib, &real_lib, &skip)?;
        }
    }
    // The kernel's request_module runs /sbin/modprobe.
    if Path::new("/sbin/modprobe").exists() {
        plan.host_file(Path::new("/sbin/modprobe"))?;
    }
    for data in DATA {
        if fs::symlink_metadata(data).is_ok() {
            let real = plan.resolve(Path::new(data));
            plan.tree(&real, &real)?;
        }
    }
    let modules = format!("/lib/modules/{}", kernel.release);
    let into = plan.resolve(Path::new(&modules));
    plan.tree(&into, &kernel.modules.join(modules.trim_start_matches('/')))?;

    // What the tests are: the binaries and the repository's files.
    plan.program(Path::new(env!("CARGO_BIN_EXE_netscript")), true)?;
    plan.program(test_bin, true)?;
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in REPO_DIRS {
        let dir = repo.join(dir);
        if dir.is_dir() {
            let real = plan.resolve(&dir);
            plan.tree(&real, &real)?;
        }
    }
    let env = format!(
        "TEST_BIN={}\nTEST_DIR={}\nNETSCRIPT_VM_KERNEL={}\n",
        quote(&test_bin.to_string_lossy()),
        quote(&repo.to_string_lossy()),
        quote(&kernel.release)
    );
    plan.add(ENV_FILE, Source::Bytes(env.into_bytes(), 0o644));
    Ok(plan)
}

impl Plan {
    fn add(&mut self, path: &str, source: Source) {
        if self.seen.insert(path.to_string()) {
            self.entries.push((path.to_string(), source));
        }
    }

    /// A host program and its shared libraries.
    fn program(&mut self, path: &Path, strip: bool) -> Result<(), Problem> {
        let real = self.resolve(path);
        if strip {
            self.add(&real.to_string_lossy(), Source::Stripped(real.clone()));
        } else {
            self.host_file(&real)?;
        }
        self.libraries(&real)
    }

    /// A host file at its own path, with the symlinks that lead to it.
    fn host_file(&mut self, path: &Path) -> Result<PathBuf, Problem> {
        let real = self.resolve(path);
        if !real.is_file() {
            return Err(Problem::Failed(format!("{} is not a file", path.display())));
        }
        self.add(&real.to_string_lossy(), Source::Host(real.clone()));
        Ok(real)
    }

    /// The shared libraries `ldd` names, each with the links to it.
    fn libraries(&mut self, binary: &Path) -> Result<(), Problem> {
        if !self.libs_done.insert(binary.to_path_buf()) {
            return Ok(());
        }
        let out =
            Command::new("ldd").arg(binary).output().map_err(|err| failed("run ldd on", binary, err))?;
        // A static binary: "not a dynamic executable", and ldd exits 1.
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let lib = match line.split_once("=>") {
                Some((_, right)) => right.split_whitespace().next(),
                None => line.split_whitespace().next(),
            };
            if let Some(lib) = lib.filter(|l| l.starts_with('/')) {
                let real = self.host_file(Path::new(lib))?;
                self.libraries(&real)?;
            }
        }
        Ok(())
    }

    /// Every file under `source`, placed under `into`.
    fn tree(&mut self, into: &Path, source: &Path) -> Result<(), Problem> {
        self.tree_except(into, source, &[])
    }

    /// The same, leaving out the entries named in `except` (at any depth).
    fn tree_except(&mut self, into: &Path, source: &Path, except: &[&str]) -> Result<(), Problem> {
        let meta = fs::metadata(source).map_err(|err| failed("stat", source, err))?;
        if meta.is_file() {
            self.add(&into.to_string_lossy(), Source::Host(source.to_path_buf()));
            return Ok(());
        }
        self.add(&into.to_string_lossy(), Source::Dir);
        let mut children: Vec<_> =
            fs::read_dir(source).map_err(|err| failed("read", source, err))?.flatten().collect();
        children.sort_by_key(|e| e.file_name());
        for child in children {
            if except.iter().any(|name| child.file_name().to_string_lossy().starts_with(name)) {
                continue;
            }
            let kind = child.file_type().map_err(|err| failed("stat", &child.path(), err))?;
            let to = into.join(child.file_name());
            if kind.is_symlink() {
                let target = fs::read_link(child.path()).map_err(|err| failed("read", &child.path(), err))?;
                self.add(&to.to_string_lossy(), Source::Symlink(target.to_string_lossy().to_string()));
            } else if kind.is_dir() || kind.is_file() {
                self.tree_except(&to, &child.path(), except)?;
            }
        }
        Ok(())
    }

    /// `path` with every symlink on the way followed, as the host has them;
    /// each link met is added to the image. Components that do not exist on
    /// the host are kept as they are.
    fn resolve(&mut self, path: &Path) -> PathBuf {
        let mut todo: VecDeque<OsString> = path
            .components()
            .filter(|c| c != &Component::RootDir)
            .map(|c| c.as_os_str().to_owned())
            .collect();
        let mut at = PathBuf::from("/");
        let mut hops = 0;
        while let Some(part) = todo.pop_front() {
            if part == "." {
                continue;
            }
            if part == ".." {
                at.pop();
                continue;
            }
            let next = at.join(&part);
            match fs::read_link(&next) {
                Ok(target) if hops < 40 => {
                    hops += 1;
                    self.add(&next.to_string_lossy(), Source::Symlink(target.to_string_lossy().to_string()));
                    if target.is_absolute() {
                        at = PathBuf::from("/");
                    }
                    for part in target.components().rev().filter(|c| c != &Component::RootDir) {
                        todo.push_front(part.as_os_str().to_owned());
                    }
                }
                _ => at = next,
            }
        }
        at
    }
}

fn find_program(name: &str) -> Option<PathBuf> {
    SEARCH_PATH.iter().map(|dir| Path::new(dir).join(name)).find(|path| {
        fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    })
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

fn write(plan: &Plan, to: &Path, cache: &Path) -> std::io::Result<()> {
    let mut cpio = Cpio::create(to)?;
    for (path, source) in &plan.entries {
        match source {
            Source::Dir => cpio.dir(path)?,
            Source::Host(from) => cpio.copy(path, from)?,
            Source::Stripped(from) => {
                let stripped = cache.join(format!("stripped.{}.tmp", std::process::id()));
                let ok = Command::new("objcopy")
                    .arg("--strip-debug")
                    .arg(from)
                    .arg(&stripped)
                    .status()
                    .is_ok_and(|s| s.success());
                cpio.copy(path, if ok { &stripped } else { from })?;
                let _ = fs::remove_file(&stripped);
            }
            Source::Bytes(data, mode) => cpio.file(path, *mode, data)?,
            Source::Symlink(target) => cpio.symlink(path, target)?,
        }
    }
    cpio.finish()
}
