//! Queueing disciplines over rtnetlink: the root qdisc that shapes a link
//! (RTM_NEWQDISC, with the options of ops::tc_options), its removal
//! (RTM_DELQDISC), and every qdisc of a namespace as the kernel reports it
//! (a dump), to show it, to record what a link had, and to put it back.

use futures::StreamExt;
use nix::errno::Errno;
use rtnetlink::Handle;
use rtnetlink::packet_core::{
    DefaultNla, Emitable, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_REPLACE, NLM_F_REQUEST, NetlinkMessage,
    NetlinkPayload, Nla,
};
use rtnetlink::packet_route::RouteNetlinkMessage;
use rtnetlink::packet_route::tc::{TcAttribute, TcHandle, TcMessage, TcOption};

use super::Kernel;
use super::error::{KernelError, errno_of, generic};
use super::no_link;
use crate::ops::shape::{RESTORABLE, handle_text};
use crate::ops::{Netns, RootQdisc, Shape, tc_options};

/// The parent of a link's root qdisc (TC_H_ROOT).
pub const ROOT: u32 = u32::MAX;
/// The parent of ingress and clsact, which shaping leaves alone.
const INGRESS: u32 = 0xffff_fff1;
const TCA_OPTIONS: u16 = 2;
/// netscript's handles for a root qdisc it makes: a new qdisc each time
/// (the other handle when the link has this one), so nothing of the qdisc
/// that was there carries over.
const HANDLES: [u32; 2] = [0x4e53_0000, 0x4e54_0000];

/// One qdisc of a namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QdiscInfo {
    /// The index of its link.
    pub index: u32,
    pub kind: String,
    pub handle: u32,
    pub parent: u32,
    /// Its options as the kernel reported them (TCA_OPTIONS).
    pub options: Vec<u8>,
}

impl QdiscInfo {
    pub fn is_root(&self) -> bool {
        self.parent == ROOT
    }

    /// The kernel's own qdisc, which a link gets by itself (handle 0:).
    pub fn is_default(&self) -> bool {
        self.handle == 0
    }

    /// The shape it gives, for tbf and netem.
    pub fn shape(&self) -> Option<Shape> {
        tc_options::decode(&self.kind, &self.options)
    }

    /// As tc's arguments: "tbf rate 10mbit burst 15140b limit 77640b", or its kind.
    pub fn text(&self) -> String {
        self.shape().map_or_else(|| self.kind.clone(), |shape| shape.tc_args())
    }
}

/// The root qdisc of link `index` among a namespace's qdiscs.
pub fn root_of(qdiscs: &[QdiscInfo], index: u32) -> Option<&QdiscInfo> {
    qdiscs.iter().find(|q| q.index == index && q.is_root())
}

/// The root qdisc of link `dev` (index `index`) as something to put back
/// exactly, or why netscript cannot, and so does not replace it.
pub fn restorable_root(qdiscs: &[QdiscInfo], index: u32, dev: &str) -> Result<RootQdisc, String> {
    let Some(root) = root_of(qdiscs, index) else {
        return Ok(RootQdisc::Default { kind: "noop".into() });
    };
    if root.is_default() {
        return Ok(RootQdisc::Default { kind: root.kind.clone() });
    }
    let what = format!("its root qdisc {} {}", root.kind, handle_text(root.handle));
    let advice = format!(
        "netscript could not put it back as it is, so it leaves it alone; remove it first \
         (tc qdisc del dev {dev} root) or shape another link"
    );
    if !RESTORABLE.contains(&root.kind.as_str()) {
        return Err(format!("{what} may hold classes and filters: {advice}"));
    }
    let below =
        qdiscs.iter().any(|q| q.index == index && !q.is_root() && q.parent != INGRESS && !q.is_default());
    if below {
        return Err(format!("{what} has qdiscs below it: {advice}"));
    }
    let prior =
        RootQdisc::Set { kind: root.kind.clone(), handle: root.handle, options: root.options.clone() };
    prior.validate().map_err(|why| format!("{what}: {why}: {advice}"))?;
    Ok(prior)
}

/// What a kernel without a qdisc kind says, in words: the module and the
/// kernel option that provide it.
fn missing_kind(kind: &str) -> KernelError {
    let (module, option, needs) = match kind {
        "netem" => (
            "sch_netem",
            "CONFIG_NET_SCH_NETEM",
            "delay, jitter, loss, duplicate, corrupt and reorder need it (a rate alone works without it, with tbf)",
        ),
        "tbf" => ("sch_tbf", "CONFIG_NET_SCH_TBF", "a rate needs it"),
        _ => return KernelError::Failed(format!("this kernel has no '{kind}' qdisc")),
    };
    KernelError::Failed(format!(
        "this kernel has no {kind} qdisc (module {module}, kernel option {option}): {needs}; \
         `modprobe {module}` where it is a module, or use a kernel built with {option}"
    ))
}

impl Kernel {
    /// Every qdisc of the namespace.
    pub(super) fn qdisc_list(&self, ns: &Netns) -> Result<Vec<QdiscInfo>, KernelError> {
        let mut handle = self.handle(ns)?;
        let mut request = NetlinkMessage::from(RouteNetlinkMessage::GetQueueDiscipline(TcMessage::default()));
        request.header.flags = NLM_F_REQUEST | NLM_F_DUMP;
        let found = self.block_on(async move {
            let mut response = handle.request(request)?;
            let mut found = Vec::new();
            while let Some(message) = response.next().await {
                match message.payload {
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewQueueDiscipline(tc)) => {
                        found.push(info_of(&tc))
                    }
                    NetlinkPayload::Error(err) if err.code.is_some() => {
                        return Err(rtnetlink::Error::NetlinkError(err));
                    }
                    _ => {}
                }
            }
            Ok(found)
        });
        found.map_err(|err| generic(errno_of(&err), &err))
    }

    /// Makes `shape` the root qdisc of the link.
    pub(super) fn link_shape(&self, ns: &Netns, dev: &str, shape: &Shape) -> Result<(), KernelError> {
        let index = self.link_index(ns, dev)?;
        let now = self.qdisc_list(ns)?;
        let handle = match root_of(&now, index) {
            // Kernels refuse a second netem on a link while one duplicates
            // ("cannot mix duplicating netems"): a netem there is changed in
            // place, every attribute given, so nothing of it carries over
            // but what netem has beyond netscript's options (ecn, slots).
            Some(root) if !root.is_default() && root.kind == "netem" && shape.kind() == "netem" => {
                root.handle
            }
            Some(root) if root.handle == HANDLES[0] => HANDLES[1],
            _ => HANDLES[0],
        };
        let options = tc_options::encode(shape);
        self.qdisc_replace(ns, index, handle, shape.kind(), &options).map_err(|errno| match errno {
            Some(Errno::ENOENT) => missing_kind(shape.kind()),
            Some(Errno::ENODEV) => no_link(ns, dev),
            Some(Errno::EINVAL) => KernelError::Failed(format!(
                "the kernel refused {} on '{dev}': the kernel said: invalid argument",
                shape.tc_args()
            )),
            errno => generic(errno, &format!("cannot replace the root qdisc of '{dev}'")),
        })
    }

    /// Deletes the link's root qdisc; the kernel attaches its default.
    pub(super) fn link_unshape(&self, ns: &Netns, dev: &str) -> Result<(), KernelError> {
        let index = self.link_index(ns, dev)?;
        self.qdisc_delete_root(ns, index).map_err(|errno| match errno {
            Some(Errno::ENOENT) | Some(Errno::EINVAL) => KernelError::NotFound(format!(
                "link '{dev}'{} has no qdisc of its own to remove: it has the kernel's default",
                ns.location()
            )),
            Some(Errno::ENODEV) => no_link(ns, dev),
            errno => generic(errno, &format!("cannot delete the root qdisc of '{dev}'")),
        })
    }

    /// Puts back the root qdisc a link had.
    pub(super) fn qdisc_restore(&self, ns: &Netns, dev: &str, prior: &RootQdisc) -> Result<(), KernelError> {
        match prior {
            RootQdisc::Default { .. } => self.link_unshape(ns, dev),
            RootQdisc::Set { kind, handle, options } => {
                let index = self.link_index(ns, dev)?;
                // A netem goes before another comes (see link_shape), so the
                // earlier one comes back whole, with its own handle.
                let now = self.qdisc_list(ns)?;
                if kind == "netem"
                    && root_of(&now, index).is_some_and(|root| root.kind == "netem" && root.handle != *handle)
                {
                    let _ = self.qdisc_delete_root(ns, index);
                }
                self.qdisc_replace(ns, index, *handle, kind, options).map_err(|errno| match errno {
                    Some(Errno::ENOENT) => missing_kind(kind),
                    Some(Errno::ENODEV) => no_link(ns, dev),
                    errno => generic(errno, &format!("cannot put back qdisc {kind} on '{dev}'")),
                })
            }
        }
    }

    /// RTM_NEWQDISC at the root, replacing what is there; the errno the
    /// kernel answered with, if it refused.
    fn qdisc_replace(
        &self,
        ns: &Netns,
        index: u32,
        handle: u32,
        kind: &str,
        options: &[u8],
    ) -> Result<(), Option<Errno>> {
        let mut message = TcMessage::with_index(index as i32);
        message.header.parent = TcHandle::ROOT;
        message.header.handle = TcHandle::from(handle);
        message.attributes.push(TcAttribute::Kind(kind.to_string()));
        message.attributes.push(TcAttribute::Other(DefaultNla::new(TCA_OPTIONS, options.to_vec())));
        let message = RouteNetlinkMessage::NewQueueDiscipline(message);
        self.tc_request(ns, message, NLM_F_CREATE | NLM_F_REPLACE)
    }

    fn qdisc_delete_root(&self, ns: &Netns, index: u32) -> Result<(), Option<Errno>> {
        let mut message = TcMessage::with_index(index as i32);
        message.header.parent = TcHandle::ROOT;
        self.tc_request(ns, RouteNetlinkMessage::DelQueueDiscipline(message), 0)
    }

    fn tc_request(&self, ns: &Netns, message: RouteNetlinkMessage, flags: u16) -> Result<(), Option<Errno>> {
        let mut handle: Handle = self.handle(ns).map_err(|_| None)?;
        let mut request = NetlinkMessage::from(message);
        request.header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        self.block_on(async move {
            let mut response = handle.request(request).map_err(|_| None)?;
            while let Some(message) = response.next().await {
                if let NetlinkPayload::Error(err) = message.payload
                    && err.code.is_some()
                {
                    return Err(Some(Errno::from_raw(err.raw_code().abs())));
                }
            }
            Ok(())
        })
    }
}

/// A dumped qdisc message as netscript keeps it.
fn info_of(message: &TcMessage) -> QdiscInfo {
    let mut info = QdiscInfo {
        index: u32::try_from(message.header.index).unwrap_or(0),
        kind: String::new(),
        handle: message.header.handle.into(),
        parent: message.header.parent.into(),
        options: Vec::new(),
    };
    for attribute in &message.attributes {
        match attribute {
            TcAttribute::Kind(kind) => info.kind = kind.clone(),
            TcAttribute::Options(options) => info.options = raw_options(options),
            _ => {}
        }
    }
    info
}

/// The TCA_OPTIONS payload again: for kinds netlink-packet-route does not
/// know, it keeps it whole as one attribute; for those it parses (fq_codel,
/// say), its attributes are laid out again as the kernel sent them.
fn raw_options(options: &[TcOption]) -> Vec<u8> {
    if let [TcOption::Other(whole)] = options
        && whole.kind() == TCA_OPTIONS
    {
        let mut value = vec![0; whole.value_len()];
        whole.emit_value(&mut value);
        return value;
    }
    let mut bytes = vec![0; options.buffer_len()];
    options.emit(&mut bytes);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qdisc(index: u32, kind: &str, handle: u32, parent: u32) -> QdiscInfo {
        QdiscInfo { index, kind: kind.into(), handle, parent, options: vec![] }
    }

    #[test]
    fn what_a_link_had_is_put_back_or_left_alone() {
        let qdiscs = [
            qdisc(2, "noqueue", 0, ROOT),
            QdiscInfo { options: 100u32.to_ne_bytes().to_vec(), ..qdisc(3, "pfifo", 0x0001_0000, ROOT) },
            qdisc(4, "htb", 0x0001_0000, ROOT),
            qdisc(5, "tbf", 0x0001_0000, ROOT),
            qdisc(5, "pfifo", 0x0002_0000, 0x0001_0001),
            qdisc(6, "mq", 0, ROOT),
            qdisc(6, "pfifo_fast", 0, 0x0000_0001),
            qdisc(6, "ingress", 0xffff_0000, INGRESS),
        ];
        assert_eq!(restorable_root(&qdiscs, 2, "a"), Ok(RootQdisc::Default { kind: "noqueue".into() }));
        assert_eq!(
            restorable_root(&qdiscs, 3, "b"),
            Ok(RootQdisc::Set { kind: "pfifo".into(), handle: 0x0001_0000, options: vec![100, 0, 0, 0] })
        );
        let htb = restorable_root(&qdiscs, 4, "c").unwrap_err();
        assert!(
            htb.contains("its root qdisc htb 1: may hold classes") && htb.contains("tc qdisc del dev c root")
        );
        assert!(restorable_root(&qdiscs, 5, "d").unwrap_err().contains("has qdiscs below it"));
        assert_eq!(restorable_root(&qdiscs, 6, "e"), Ok(RootQdisc::Default { kind: "mq".into() }));
        assert_eq!(restorable_root(&qdiscs, 9, "f"), Ok(RootQdisc::Default { kind: "noop".into() }));
    }

    #[test]
    fn a_missing_netem_names_its_module_and_kernel_option() {
        let text = missing_kind("netem").to_string();
        assert!(text.contains("sch_netem") && text.contains("CONFIG_NET_SCH_NETEM"), "{text}");
        assert!(text.contains("a rate alone works without it"), "{text}");
    }

    #[test]
    fn options_the_crate_keeps_whole_come_back_whole() {
        let whole = vec![TcOption::Other(DefaultNla::new(TCA_OPTIONS, vec![1, 2, 3, 4, 5, 6, 7, 8]))];
        assert_eq!(raw_options(&whole), [1, 2, 3, 4, 5, 6, 7, 8]);
        let parsed = vec![TcOption::Other(DefaultNla::new(5, vec![9, 0, 0, 0]))];
        assert_eq!(raw_options(&parsed).len(), 8);
    }
}
