//! Runs commands as a user would, inside a throwaway sandbox: a private
//! network namespace and a private mount namespace with its own /run (so its
//! own /run/netns), made by util-linux's `unshare`. Many run side by side;
//! nothing they make reaches the host or outlives the sandbox.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

/// What one step printed and how it ended.
#[derive(Debug, Clone)]
pub struct Output {
    pub command: String,
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Output {
    #[track_caller]
    pub fn success(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "`{}` failed:\nstdout:\n{}\nstderr:\n{}",
            self.command, self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn failure(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "`{}` exited {}, expected {code}:\nstdout:\n{}\nstderr:\n{}",
            self.command, self.code, self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, text: &str) -> &Self {
        assert!(self.stderr.contains(text), "stderr of `{}` lacks {text:?}:\n{}", self.command, self.stderr);
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, text: &str) -> &Self {
        assert!(self.stdout.contains(text), "stdout of `{}` lacks {text:?}:\n{}", self.command, self.stdout);
        self
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        self.success();
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|err| panic!("`{}` printed no JSON ({err}):\n{}", self.command, self.stdout))
    }
}

/// A sandbox and the steps to run in it, in order, in one shell.
pub struct Sandbox {
    dir: TempDir,
    steps: Vec<String>,
    alone: bool,
}

/// Whether this process may make namespaces. Without root the sandbox tests
/// skip with a reason, except in CI, where a skip would hide that nothing ran.
pub fn privileged() -> bool {
    let root = nix_is_root();
    if !root {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "CI=true but the tests are not running as root: the sandbox tests need root (CAP_SYS_ADMIN, CAP_NET_ADMIN)"
            );
        }
        eprintln!("skipped: needs root to make network namespaces (run the tests as root)");
    }
    root
}

fn nix_is_root() -> bool {
    // The effective uid from /proc, to avoid a libc dependency in tests.
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("Uid:"))
                .and_then(|line| line.split_whitespace().nth(2).map(|uid| uid == "0"))
        })
        .unwrap_or(false)
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox { dir: tempfile::tempdir().expect("temp dir"), steps: Vec::new(), alone: false }
    }

    /// Runs with no other lab of the tests beside it (see turns): for
    /// measurements of rates, which share the cores with whatever runs.
    pub fn alone(mut self) -> Self {
        self.alone = true;
        self
    }

    /// Writes a file (a script, usually) into the sandbox's working directory.
    pub fn file(self, name: &str, text: &str) -> Self {
        fs::write(self.dir.path().join(name), text).expect("write file");
        self
    }

    /// Adds a shell command to run; `netscript` is the binary under test.
    pub fn step(mut self, command: &str) -> Self {
        self.steps.push(command.to_string());
        self
    }

    /// Runs every step and returns their outputs, in order.
    pub fn run(self) -> Vec<Output> {
        let dir = self.dir.path();
        let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_netscript")).parent().unwrap().to_path_buf();
        let mut script = String::from(
            "set -u\n\
             mount -t tmpfs sandbox /run && mkdir -p /run/netns /run/netscript || exit 90\n\
             if [ ! -e /etc/netns ] && [ \"${NETSCRIPT_IN_VM:-}\" != 1 ]; then \
               mkdir -p /run/.etc/up /run/.etc/work && \
               mount -t overlay overlay -o lowerdir=/etc,upperdir=/run/.etc/up,workdir=/run/.etc/work /etc \
               || exit 93; fi\n\
             mkdir -p /etc/netns || exit 93\n\
             mount -t tmpfs -o mode=0755 sandbox /etc/netns || exit 94\n\
             umount -l /sys && mount -t sysfs sysfs /sys || exit 91\n\
             ip link set lo up || exit 92\n",
        );
        script.push_str(&format!("export PATH={}:$PATH\ncd {}\n", bin_dir.display(), dir.display()));
        for (i, step) in self.steps.iter().enumerate() {
            script.push_str(&format!("( {step}\n) >{i}.out 2>{i}.err </dev/null; echo $? >{i}.rc\n"));
        }
        // The sandbox shares the machine's processes: a lab's daemon still
        // running in one of its namespaces would outlive it. Such a test
        // forgot a `down`; the processes are stopped here, and it fails.
        script.push_str(
            "for n in $(ls /run/netns 2>/dev/null); do for p in $(ip netns pids \"$n\" 2>/dev/null); do \
             echo \"$n: $p $(tr '\\0' ' ' </proc/$p/cmdline)\"; kill -9 $p; done; done >outlived 2>&1\n",
        );
        let _turn = if self.alone { super::turns::alone() } else { super::turns::shared() };
        let status = Command::new("unshare")
            .args(["--net", "--mount", "--propagation", "private", "bash", "-c", &script])
            .status()
            .expect("run unshare (util-linux)");
        assert!(status.success(), "the sandbox itself failed: {status}");
        let read = |name: String| fs::read_to_string(dir.join(name)).unwrap_or_default();
        let outlived = read("outlived".into());
        assert!(
            outlived.is_empty(),
            "processes of a lab were still running when the test's steps ended (take its lab down):\n{outlived}"
        );
        self.steps
            .iter()
            .enumerate()
            .map(|(i, step)| Output {
                command: step.clone(),
                stdout: read(format!("{i}.out")),
                stderr: read(format!("{i}.err")),
                code: read(format!("{i}.rc")).trim().parse().unwrap_or(-1),
            })
            .collect()
    }
}

/// Interface names in `ip -j link` output.
pub fn link_names(links: &Value) -> Vec<String> {
    let mut names: Vec<String> = links
        .as_array()
        .expect("ip -j link prints an array")
        .iter()
        .map(|link| link["ifname"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names
}

/// "address/prefix" of the addresses of one link in `ip -j addr` output,
/// leaving out the link-local ones the kernel adds by itself.
pub fn addresses_of(addrs: &Value, ifname: &str) -> Vec<String> {
    addrs
        .as_array()
        .expect("ip -j addr prints an array")
        .iter()
        .filter(|link| link["ifname"] == ifname)
        .flat_map(|link| link["addr_info"].as_array().cloned().unwrap_or_default())
        .filter(|a| a["scope"] != "link")
        .map(|a| format!("{}/{}", a["local"].as_str().unwrap_or_default(), a["prefixlen"]))
        .collect()
}
