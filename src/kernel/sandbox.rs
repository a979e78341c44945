//! `--sandbox`: the process moves into a private network namespace and a
//! private mount namespace with its own /run/netns, so nothing it builds is
//! seen by, or outlives it on, the host. Must run before any thread starts:
//! the kernel refuses a new mount namespace to a multi-threaded process.

use std::fs;
use std::io;

use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sched::{CloneFlags, unshare};

use super::netns::NETNS_RUN_DIR;

/// Where netscript keeps its state; hidden by a tmpfs of its own in a sandbox.
pub const STATE_DIR: &str = "/run/netscript";

pub fn enter() -> io::Result<()> {
    unshare(CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWNS).map_err(|err| {
        io::Error::new(
            io::Error::from(err).kind(),
            format!("cannot make a private network and mount namespace ({err}); --sandbox needs root"),
        )
    })?;
    // Nothing mounted from here on propagates back to the host.
    mount(None::<&str>, "/", None::<&str>, MsFlags::MS_REC | MsFlags::MS_PRIVATE, None::<&str>)?;
    // A tmpfs over all of /run, so that not even an empty directory is
    // left on the host; /run/netns and the state directory live in it.
    mount(
        Some("netscript"),
        "/run",
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some("mode=0755"),
    )?;
    for dir in [NETNS_RUN_DIR, STATE_DIR] {
        fs::create_dir_all(dir)?;
    }
    // A fresh /sys shows this namespace's interfaces, as `ip netns exec` does.
    if umount2("/sys", MntFlags::MNT_DETACH).is_ok() {
        let _ = mount(Some("sysfs"), "/sys", Some("sysfs"), MsFlags::empty(), None::<&str>);
    }
    Ok(())
}
