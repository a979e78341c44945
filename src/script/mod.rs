//! The Rhai side: an engine with netscript's API, and running a script on it.
//! It turns calls into operations for the lab and knows nothing of netlink.

mod api;
mod cidr;
mod convert;
mod error;
mod firewall_api;
pub mod forms;
mod links_api;
mod node_api;
mod options;
mod params;
mod port_api;
mod probe_api;
mod routing_api;
pub mod scan;
mod shape_api;
pub mod stdlib;

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use rhai::Engine;

use crate::output::outln;

pub use api::Shared;
pub use error::{Source, fit_to_width, render, render_eval_error, render_parse_error, without_bom};
pub use params::Params;

/// An engine with every netscript function registered, bound to one lab;
/// `import` finds the standard library, and other modules in `script_dir`.
pub fn engine(lab: &Shared, params: &Rc<RefCell<Params>>, script_dir: Option<&Path>) -> Engine {
    let mut engine = Engine::new();
    set_limits(&mut engine);
    // Rhai's own print and debug would panic on a closed pipe.
    engine.on_print(|text| outln!("{text}"));
    engine.on_debug(|text, source, pos| match (source, pos.is_none()) {
        (Some(source), true) => outln!("{source} | {text}"),
        (Some(source), false) => outln!("{source} @ {pos:?} | {text}"),
        (None, true) => outln!("{text}"),
        (None, false) => outln!("{pos:?} | {text}"),
    });
    api::register(&mut engine, lab, params);
    engine.set_module_resolver(stdlib::Resolver::new(script_dir));
    forms::remember(&engine);
    engine
}

/// The largest string a script may make (a command's output is at most a
/// quarter of it, so both of its streams fit in one map).
pub const MAX_STRING: usize = 16 << 20;
/// The most elements in an array (nested ones counted), or entries in a map.
pub const MAX_ITEMS: usize = 1 << 20;
/// How deep functions may call functions.
pub const MAX_CALL_LEVELS: usize = 64;
/// How deep expressions and blocks may nest.
pub const MAX_EXPR_DEPTH: usize = 64;

/// Limits that make a runaway script (a string doubling in a loop, endless
/// recursion, an expression nested a thousand deep) an error at its line,
/// which rolls back, instead of an abort that leaves the lab behind. Each is
/// far above what the stdlib and the 1000-host star need. The number of
/// operations is not limited: Ctrl-C stops any loop, and labs may wait.
fn set_limits(engine: &mut Engine) {
    engine
        .set_max_string_size(MAX_STRING)
        .set_max_array_size(MAX_ITEMS)
        .set_max_map_size(MAX_ITEMS)
        .set_max_call_levels(MAX_CALL_LEVELS)
        .set_max_expr_depths(MAX_EXPR_DEPTH, MAX_EXPR_DEPTH);
}
