//! The Rhai side: an engine with netscript's API, and running a script on it.
//! It turns calls into operations for the lab and knows nothing of netlink.

mod api;
mod cidr;
mod convert;
mod error;
mod firewall_api;
mod params;
mod probe_api;

use std::cell::RefCell;
use std::rc::Rc;

use rhai::Engine;

pub use api::Shared;
pub use error::{Source, render, render_eval_error, render_parse_error};
pub use params::Params;

/// An engine with every netscript function registered, bound to one lab.
pub fn engine(lab: &Shared, params: &Rc<RefCell<Params>>) -> Engine {
    let mut engine = Engine::new();
    api::register(&mut engine, lab, params);
    engine
}
