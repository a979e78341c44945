//! The kernel backend: executes operations over netlink in any namespace.
//! It knows nothing of Rhai.

mod addrs;
mod backend;
mod error;
mod exec;
mod firewall;
mod links;
pub mod netns;
mod network;
pub mod ping;
mod probe;
pub mod process;
pub mod qdisc;
mod routes;
pub mod sandbox;
mod sysctl;
pub mod throughput;

pub use addrs::AddrInfo;
pub use backend::Kernel;
pub use error::KernelError;
pub use exec::ExecOutput;
pub use firewall::RuleInfo;
pub use links::LinkInfo;
pub use network::{Network, no_link, no_netns};
pub use qdisc::QdiscInfo;
pub use routes::RouteInfo;
pub use throughput::{ThroughputOptions, ThroughputStats};
