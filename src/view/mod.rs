//! Seeing a lab: its topology as a picture (DOT, Mermaid, SVG) and its
//! state (links, addresses, routes, forwarding, rules) as text or JSON,
//! read from the kernel for the namespaces and links the lab's ledger names.

mod dot;
mod fold;
mod layout;
mod snapshot;
mod state;
mod svg;
mod topology;

pub use snapshot::Snapshot;
pub use state::{LabState, render_text};
pub use topology::Topology;

use crate::kernel::Network;
use crate::lab::Lab;
use crate::ops::Op;

/// The picture formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Dot,
    Mermaid,
    Svg,
}

/// The topology in a picture format.
pub fn render(topology: &Topology, format: Format) -> String {
    match format {
        Format::Dot => dot::dot(topology),
        Format::Mermaid => dot::mermaid(topology),
        Format::Svg => svg::svg(&layout::layout(topology), topology),
    }
}

/// The picture of a lab that applied `applied`, read from `net`: for a lab
/// that is up (from its ledger) or one being built (from its journal).
pub fn graph(lab: &str, applied: &[Op], net: &dyn Network, format: Format) -> Result<String, String> {
    let snapshot = Snapshot::read(lab, applied, net)?;
    let mut topology = Topology::from_snapshot(&snapshot);
    topology.fold_runs();
    Ok(render(&topology, format))
}

/// What a lab being built has applied: its ledger's account when it keeps
/// one (a REPL session that continues a lab adds to what earlier runs
/// made), else this run's journal (a dry run).
fn applied_by(lab: &Lab) -> Vec<Op> {
    lab.name()
        .and_then(|name| crate::lab::ledger::read(name).ok())
        .map(|replay| replay.applied)
        .unwrap_or_else(|| lab.applied().to_vec())
}

/// The picture of a lab being built (a script's, or a REPL session's).
pub fn lab_graph(lab: &Lab, format: Format) -> Result<String, String> {
    graph(lab.label(), &applied_by(lab), lab.net(), format)
}

/// The state of a lab being built, as `netscript show` has it.
pub fn lab_state(lab: &Lab) -> Result<LabState, String> {
    let script = lab.script().map(String::from);
    LabState::read(lab.label(), script, &applied_by(lab), lab.net())
}
