//! The one vocabulary of operations that the kernel backend executes, the
//! renderer prints as `ip` commands, and the lab journal records with inverses.

pub mod firewall;
mod names;
mod op;
mod render;
pub mod shape;
pub mod tc_options;

pub use firewall::{Proto, Rule};
pub use names::{check_ifname, check_netns_name, check_sysctl_restore, check_sysctl_scope};
pub use op::{Netns, Op, RouteSpec};
pub use render::quote;
pub use shape::{RootQdisc, Shape};
