//! The Rhai side: an engine with netscript's API, and running a script on it.
//! It turns calls into operations for the lab and knows nothing of netlink.

mod api;
mod cidr;
mod convert;
mod error;
mod firewall_api;
mod params;
mod probe_api;
mod shape_api;
mod stdlib;

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use rhai::Engine;

pub use api::Shared;
pub use error::{Source, render, render_eval_error, render_parse_error};
pub use params::Params;

/// An engine with every netscript function registered, bound to one lab;
/// `import` finds the standard library, and other modules in `script_dir`.
pub fn engine(lab: &Shared, params: &Rc<RefCell<Params>>, script_dir: Option<&Path>) -> Engine {
    let mut engine = Engine::new();
    api::register(&mut engine, lab, params);
    engine.set_module_resolver(stdlib::Resolver::new(script_dir));
    engine
}
