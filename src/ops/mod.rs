//! The one vocabulary of operations that the kernel backend executes, the
//! renderer prints as `ip` commands, and the lab journal records with inverses.

mod names;
mod op;
mod render;

pub use names::{check_ifname, check_netns_name};
pub use op::{Netns, Op, RouteSpec};
