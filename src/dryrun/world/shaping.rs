//! The dry run's model of root qdiscs: the shapes it set, by link; every
//! other link has the kernel's default. And the throughput probe, which
//! cannot run without the lab: noted, and answered from the shapes.

use std::net::SocketAddr;

use super::{State, failed};
use crate::kernel::qdisc::ROOT;
use crate::kernel::{KernelError, QdiscInfo, ThroughputOptions, ThroughputStats};
use crate::ops::{Netns, Op, RootQdisc, Shape, tc_options};

/// The handle the model gives the qdiscs it sets, as netscript's kernel side does.
const HANDLE: u32 = 0x4e53_0000;

pub(super) fn simulate(state: &mut State, op: &Op) -> Result<(), KernelError> {
    match op {
        Op::LinkShape { ns, dev, shape } => {
            let id = state.link(ns, dev)?.id;
            state.shapes.insert(id, shape.clone());
        }
        Op::LinkUnshape { ns, dev } => {
            let id = state.link(ns, dev)?.id;
            if state.shapes.remove(&id).is_none() {
                return Err(KernelError::NotFound(format!(
                    "link '{dev}'{} has no qdisc of its own to remove: it has the kernel's default",
                    ns.location()
                )));
            }
        }
        Op::QdiscRestore { ns, dev, prior, .. } => {
            let id = state.link(ns, dev)?.id;
            match prior {
                RootQdisc::Set { kind, options, .. } => match tc_options::decode(kind, options) {
                    Some(shape) => {
                        state.shapes.insert(id, shape);
                    }
                    None => {
                        state.shapes.remove(&id);
                    }
                },
                RootQdisc::Default { .. } => {
                    state.shapes.remove(&id);
                }
            }
        }
        _ => return Err(failed(format!("not a shaping operation: {}", op.describe()))),
    }
    Ok(())
}

/// Commands to print before `op`: tc replaces a netem qdisc by changing it,
/// keeping what the new command leaves out, so the old one goes first.
pub(super) fn preamble(state: &State, op: &Op) -> Vec<String> {
    let Op::LinkShape { ns, dev, shape: Shape::Netem { .. } } = op else { return Vec::new() };
    let now = state.link(ns, dev).ok().and_then(|link| state.shapes.get(&link.id));
    match now {
        Some(Shape::Netem { .. }) => Op::LinkUnshape { ns: ns.clone(), dev: dev.clone() }.render(),
        _ => Vec::new(),
    }
}

pub(super) fn qdiscs(state: &State, ns: &Netns) -> Result<Vec<QdiscInfo>, KernelError> {
    let space = state.space(ns)?;
    Ok(space
        .links
        .iter()
        .map(|link| match state.shapes.get(&link.id) {
            Some(shape) => QdiscInfo {
                index: link.index,
                kind: shape.kind().to_string(),
                handle: HANDLE,
                parent: ROOT,
                options: tc_options::encode(shape),
            },
            None => QdiscInfo {
                index: link.index,
                kind: "noqueue".into(),
                handle: 0,
                parent: ROOT,
                options: Vec::new(),
            },
        })
        .collect())
}

/// The probe cannot run in a dry run: it is noted, and answered with the
/// rate of the shape on the link the stream would leave `from` by.
pub(super) fn throughput(
    state: &State,
    from: &Netns,
    sink_ns: &Netns,
    target: SocketAddr,
    options: &ThroughputOptions,
) -> Result<ThroughputStats, KernelError> {
    state.space(from)?;
    state.space(sink_ns)?;
    println!("# check: throughput from {from} to {target}, sink in {sink_ns} (assumed to pass in a dry run)");
    let rate = state
        .route_dev(from, target.ip())
        .and_then(|dev| state.link(from, &dev).ok().map(|link| link.id))
        .and_then(|id| state.shapes.get(&id))
        .and_then(Shape::rate)
        .unwrap_or(0);
    let seconds = options.duration.as_secs_f64();
    Ok(ThroughputStats { bytes: (rate as f64 / 8.0 * seconds) as u64, seconds, bits_per_second: rate as f64 })
}
