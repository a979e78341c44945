//! Sysctls of a namespace: files under /proc/sys/net, which show the values
//! of the namespace of the thread that opens them.

use std::fs;
use std::io;

use super::Kernel;
use super::error::{KernelError, generic, io_errno};
use super::no_netns;
use crate::kernel::netns;
use crate::ops::{Netns, limits};

fn path(key: &str) -> String {
    format!("/proc/sys/{}", key.replace('.', "/"))
}

impl Kernel {
    pub(super) fn sysctl_get(&self, ns: &Netns, key: &str) -> Result<String, KernelError> {
        let file = path(key);
        self.in_netns(ns, || fs::read_to_string(&file))
            .map(|value| value.trim().to_string())
            .map_err(|err| sysctl_error(ns, key, &err))
    }

    pub(super) fn sysctl_set(&self, ns: &Netns, key: &str, value: &str) -> Result<(), KernelError> {
        let file = path(key);
        self.in_netns(ns, || fs::write(&file, value)).map_err(|err| match io_errno(&err) {
            Some(nix::errno::Errno::EINVAL) => KernelError::Failed(
                self.sysctl_get(ns, key)
                    .ok()
                    .and_then(|current| limits::sysctl_value_problem(key, &current, value))
                    .unwrap_or_else(|| format!("{key} does not take the value '{value}'")),
            ),
            _ => sysctl_error(ns, key, &err),
        })
    }
}

fn sysctl_error(ns: &Netns, key: &str, err: &io::Error) -> KernelError {
    if let Netns::Named(name) = ns
        && !netns::exists(name)
    {
        return no_netns(name);
    }
    match err.kind() {
        io::ErrorKind::NotFound => KernelError::NotFound(format!("there is no sysctl {key}")),
        _ => generic(io_errno(err), err),
    }
}
