use std::fmt;
use std::io;

use nix::errno::Errno;

/// Why the kernel (or netscript on its behalf) refused an operation, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelError {
    /// The thing to change or remove is not there. Rollback and teardown
    /// treat this as done.
    NotFound(String),
    Failed(String),
}

impl KernelError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, KernelError::NotFound(_))
    }
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KernelError::NotFound(msg) | KernelError::Failed(msg) => f.write_str(msg),
        }
    }
}

/// The errno of a netlink or system-call failure, if it carries one.
pub fn errno_of(err: &rtnetlink::Error) -> Option<Errno> {
    match err {
        rtnetlink::Error::NetlinkError(msg) if msg.raw_code() != 0 => {
            Some(Errno::from_raw(msg.raw_code().abs()))
        }
        _ => None,
    }
}

pub fn io_errno(err: &io::Error) -> Option<Errno> {
    err.raw_os_error().map(Errno::from_raw)
}

/// The words for an errno that no operation-specific message covers.
pub fn generic(errno: Option<Errno>, fallback: &dyn fmt::Display) -> KernelError {
    match errno {
        Some(Errno::EPERM) | Some(Errno::EACCES) => KernelError::Failed(
            "permission denied: netscript needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN); \
             try `sudo netscript --sandbox ...`, or --dry-run to only print the commands"
                .into(),
        ),
        Some(errno) => KernelError::Failed(format!("the kernel said: {}", lower_first(errno.desc()))),
        None => KernelError::Failed(fallback.to_string()),
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
