//! The one vocabulary of operations that the kernel backend executes, the
//! renderer prints as `ip` commands, and the lab journal records with inverses.

pub mod files;
pub mod filter;
pub mod firewall;
pub mod kinds;
pub mod limits;
mod names;
pub mod neighbours;
mod op;
mod render;
pub mod routing;
pub mod shape;
pub mod table;
pub mod tc_options;

pub use filter::{CtState, Filter, Hook, L4, Policy, PortRange, Verdict};
pub use firewall::{Proto, Rule};
pub use names::{check_ifname, check_netns_name, check_sysctl_restore, check_sysctl_scope, describe_char};
pub use op::{Netns, Op, RouteSpec};
pub use render::{in_node, node_script, quote};
pub use shape::{RootQdisc, Shape};
