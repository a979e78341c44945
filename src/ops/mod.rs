//! The one vocabulary of operations that the kernel backend executes, the
//! renderer prints as `ip` commands, and the lab journal records with inverses.

pub mod filter;
pub mod firewall;
mod names;
mod op;
mod render;
pub mod table;

pub use filter::{CtState, Filter, Hook, L4, Policy, PortRange, Verdict};
pub use firewall::{Proto, Rule};
pub use names::{check_ifname, check_netns_name, check_sysctl_restore, check_sysctl_scope};
pub use op::{Netns, Op, RouteSpec};
pub use render::quote;
