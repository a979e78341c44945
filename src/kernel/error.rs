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

/// Why a namespace of a bulk `netns_add_many` was not made: a signal came first.
pub(super) const NOT_MADE: &str = "interrupted before it was made";

impl KernelError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, KernelError::NotFound(_))
    }

    /// A namespace of a bulk add that a signal kept from being made.
    pub fn not_made() -> Self {
        KernelError::Failed(NOT_MADE.into())
    }

    pub fn is_not_made(&self) -> bool {
        matches!(self, KernelError::Failed(why) if why == NOT_MADE)
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
        Some(Errno::EMFILE) | Some(Errno::ENFILE) => KernelError::Failed(too_many_files(errno)),
        Some(Errno::EPERM) | Some(Errno::EACCES) => KernelError::Failed(
            "permission denied: netscript needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN); \
             try `sudo netscript --sandbox ...`, or --dry-run to only print the commands"
                .into(),
        ),
        Some(errno) => KernelError::Failed(format!("the kernel said: {}", lower_first(errno.desc()))),
        None => KernelError::Failed(fallback.to_string()),
    }
}

/// Out of file descriptors: netscript holds a netlink socket per namespace.
pub fn too_many_files(errno: Option<Errno>) -> String {
    if errno == Some(Errno::ENFILE) {
        return "the system is out of open files (fs.file-max): close programs, or raise fs.file-max".into();
    }
    let limit = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .map(|(soft, _)| soft.to_string())
        .unwrap_or_else(|_| "?".into());
    format!(
        "too many open files: netscript keeps a netlink socket open for each namespace it works in, \
         and this process may open only {limit} files; raise the limit (`ulimit -n 65536`, or LimitNOFILE= \
         for a service) and run again"
    )
}

/// Raises this process's limit of open files to the most it may have: a lab
/// of a thousand namespaces holds a thousand netlink sockets.
pub fn raise_open_file_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && soft < hard
    {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
