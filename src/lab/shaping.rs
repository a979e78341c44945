//! Shaping a link the lab did not make: the root qdisc it had is recorded
//! before it is replaced, if netscript can put it back exactly, and put
//! back at teardown only while the qdisc there is still the lab's.

use super::{Lab, Prior};
use crate::kernel::{Network, qdisc};
use crate::ops::{Netns, Op, Shape, tc_options};

impl Lab {
    /// The root qdisc of a link the lab did not make, before it changes it.
    /// None when the link cannot be read (the operation then says why);
    /// an error when what it has could not be put back as it is.
    pub(super) fn qdisc_prior(&self, ns: &Netns, dev: &str) -> Result<Option<Prior>, String> {
        let (Ok(index), Ok(qdiscs)) = (self.net.link_index(ns, dev), self.net.qdiscs(ns)) else {
            return Ok(None);
        };
        let root = qdisc::restorable_root(&qdiscs, index, dev)
            .map_err(|why| format!("link '{dev}'{} is not the lab's, and {why}", ns.location()))?;
        Ok(Some(Prior::Qdisc(root)))
    }
}

/// Why a qdisc restore must not run: the link's root qdisc is no longer
/// the one the lab left there (`ours`; None for the kernel's default), so
/// someone changed it since, and it is theirs now.
pub fn qdisc_not_ours(net: &dyn Network, op: &Op) -> Option<String> {
    let Op::QdiscRestore { ns, dev, ours, .. } = op else { return None };
    // Gone already: the restore itself will say so.
    let index = net.link_index(ns, dev).ok()?;
    let qdiscs = net.qdiscs(ns).ok()?;
    let root = qdisc::root_of(&qdiscs, index);
    let still_ours = match (root, ours) {
        (None, None) => true,
        (Some(root), None) => root.is_default(),
        (Some(root), Some(shape)) => !root.is_default() && is_shape(&root.kind, &root.options, shape),
        (None, Some(_)) => false,
    };
    (!still_ours).then(|| {
        format!(
            "the root qdisc of link '{dev}'{} is no longer the one this lab left there; left it alone",
            ns.location()
        )
    })
}

fn is_shape(kind: &str, options: &[u8], shape: &Shape) -> bool {
    kind == shape.kind() && tc_options::is_shape(kind, options, shape)
}
