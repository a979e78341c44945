//! The kernel backend: executes operations over netlink in any namespace.
//! It knows nothing of Rhai.

mod addrs;
mod backend;
mod error;
mod exec;
mod fdb;
mod firewall;
mod kinds;
mod links;
mod neigh;
mod neighbours;
pub mod netns;
mod network;
pub mod node;
pub mod ping;
pub mod port;
mod probe;
pub mod process;
pub mod qdisc;
mod request;
mod routes;
mod rules;
pub mod sandbox;
mod settings;
mod sockets;
mod sysctl;
pub mod throughput;
pub mod wait;
pub mod wireguard;
mod worker;

pub use addrs::AddrInfo;
pub use backend::Kernel;
pub use error::KernelError;
pub use exec::{ExecOutput, succeeded as exec_succeeded};
pub use fdb::FdbInfo;
pub use firewall::{TableInfo, nft_check};
pub use links::LinkInfo;
pub use neigh::NeighInfo;
pub use neighbours::NeighbourTable;
pub use network::{Network, no_link, no_netns};
pub use qdisc::QdiscInfo;
pub use routes::{NexthopInfo, RouteInfo};
pub use rules::IpRuleInfo;
pub use settings::VlanInfo;
pub use throughput::{ThroughputOptions, ThroughputStats};
