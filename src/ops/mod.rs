//! The one vocabulary of operations that the kernel backend executes, the
//! renderer prints as `ip` commands, and the lab journal records with inverses.

pub mod firewall;
pub mod limits;
mod names;
mod op;
mod render;

pub use firewall::{Proto, Rule};
pub use names::{check_ifname, check_netns_name, check_sysctl_key, describe_char};
pub use op::{Netns, Op, RouteSpec};
pub use render::quote;
