//! WireGuard's keys, port and peers, set through its generic netlink family
//! from a thread inside the namespace (what `wg set` does, without `wg`),
//! and key pairs made here: X25519 from the dalek crates, random bytes
//! from the kernel.

use netlink_packet_generic::GenlMessage;
use netlink_packet_generic::ctrl::nlas::GenlCtrlAttrs;
use netlink_packet_generic::ctrl::{GenlCtrl, GenlCtrlCmd};
use netlink_packet_wireguard::{
    WireguardAddressFamily, WireguardAllowedIp, WireguardAllowedIpAttr, WireguardAttribute, WireguardCmd,
    WireguardMessage, WireguardPeer, WireguardPeerAttribute,
};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_GENERIC};
use rtnetlink::packet_core::{
    NLM_F_ACK, NLM_F_REQUEST, NetlinkDeserializable, NetlinkMessage, NetlinkPayload, NetlinkSerializable,
};

use super::Kernel;
use super::error::{KernelError, generic, io_errno};
use crate::ops::Netns;
use crate::ops::kinds::{LinkKind, Wireguard, wg_key};

/// A new private key: 32 random bytes, clamped as X25519 wants them.
pub fn generate_private_key() -> Result<[u8; 32], String> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|err| format!("cannot read random bytes: {err}"))?;
    key[0] &= 248;
    key[31] &= 127;
    key[31] |= 64;
    Ok(key)
}

/// The public key of a private one.
pub fn public_key(private: &[u8; 32]) -> [u8; 32] {
    x25519_dalek::x25519(*private, x25519_dalek::X25519_BASEPOINT_BYTES)
}

pub fn encode_key(key: &[u8; 32]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(key)
}

/// One request and its acknowledgement on a generic netlink socket.
fn exchange<T>(socket: &Socket, mut message: NetlinkMessage<T>) -> std::io::Result<Vec<NetlinkMessage<T>>>
where
    T: NetlinkSerializable + NetlinkDeserializable + std::fmt::Debug,
{
    message.header.flags = NLM_F_REQUEST | NLM_F_ACK;
    message.finalize();
    let mut buffer = vec![0; message.buffer_len()];
    message.serialize(&mut buffer);
    socket.send(&buffer, 0)?;
    let mut answers = Vec::new();
    loop {
        let (bytes, _) = socket.recv_from_full()?;
        let mut at = 0;
        while at < bytes.len() {
            let reply = NetlinkMessage::<T>::deserialize(&bytes[at..])
                .map_err(|err| std::io::Error::other(format!("unreadable netlink answer: {err}")))?;
            let length = reply.header.length as usize;
            match reply.payload {
                NetlinkPayload::Error(err) if err.code.is_some() => return Err(err.to_io()),
                // The acknowledgement ends the exchange.
                NetlinkPayload::Error(_) | NetlinkPayload::Done(_) => return Ok(answers),
                _ => answers.push(reply),
            }
            if length == 0 {
                break;
            }
            at += (length + 3) & !3;
        }
    }
}

/// The number of the "wireguard" family, which the kernel hands out at boot.
fn family_id(socket: &Socket) -> std::io::Result<Option<u16>> {
    let ask = GenlMessage::from_payload(GenlCtrl {
        cmd: GenlCtrlCmd::GetFamily,
        nlas: vec![GenlCtrlAttrs::FamilyName("wireguard".into())],
    });
    let answers = match exchange(socket, NetlinkMessage::from(ask)) {
        Ok(answers) => answers,
        Err(err) if err.raw_os_error() == Some(nix::libc::ENOENT) => return Ok(None),
        Err(err) => return Err(err),
    };
    Ok(answers.into_iter().find_map(|reply| match reply.payload {
        NetlinkPayload::InnerMessage(message) => message.payload.nlas.iter().find_map(|nla| match nla {
            GenlCtrlAttrs::FamilyId(id) => Some(*id),
            _ => None,
        }),
        _ => None,
    }))
}

fn set_device(name: &str, w: &Wireguard) -> std::io::Result<Result<(), String>> {
    let mut socket = Socket::new(NETLINK_GENERIC)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    let Some(family) = family_id(&socket)? else {
        return Ok(Err(LinkKind::Wireguard(Wireguard::default()).support().missing()));
    };
    let mut attributes = vec![WireguardAttribute::IfName(name.to_string())];
    if let Some(key) = &w.private_key {
        attributes.push(WireguardAttribute::PrivateKey(wg_key(key).map_err(std::io::Error::other)?));
    }
    if let Some(port) = w.listen_port {
        attributes.push(WireguardAttribute::ListenPort(port));
    }
    let mut peers = Vec::new();
    for peer in &w.peers {
        let mut attrs =
            vec![WireguardPeerAttribute::PublicKey(wg_key(&peer.public_key).map_err(std::io::Error::other)?)];
        if let Some(endpoint) = peer.endpoint {
            attrs.push(WireguardPeerAttribute::Endpoint(endpoint));
        }
        if let Some(keepalive) = peer.keepalive {
            attrs.push(WireguardPeerAttribute::PersistentKeepalive(keepalive));
        }
        if !peer.allowed_ips.is_empty() {
            let ips = peer
                .allowed_ips
                .iter()
                .map(|net| {
                    let family = if net.is_ipv4() {
                        WireguardAddressFamily::Ipv4
                    } else {
                        WireguardAddressFamily::Ipv6
                    };
                    WireguardAllowedIp(vec![
                        WireguardAllowedIpAttr::Family(family),
                        WireguardAllowedIpAttr::IpAddr(net.ip()),
                        WireguardAllowedIpAttr::Cidr(net.prefix()),
                    ])
                })
                .collect();
            attrs.push(WireguardPeerAttribute::AllowedIps(ips));
        }
        peers.push(WireguardPeer(attrs));
    }
    if !peers.is_empty() {
        attributes.push(WireguardAttribute::Peers(peers));
    }
    let mut message =
        GenlMessage::from_payload(WireguardMessage { cmd: WireguardCmd::SetDevice, attributes });
    message.set_resolved_family_id(family);
    exchange(&socket, NetlinkMessage::from(message))?;
    Ok(Ok(()))
}

impl Kernel {
    pub(super) fn wireguard_set(&self, ns: &Netns, name: &str, w: &Wireguard) -> Result<(), KernelError> {
        if w.private_key.is_none() && w.listen_port.is_none() && w.peers.is_empty() {
            return Ok(());
        }
        let (name_owned, w) = (name.to_string(), w.clone());
        match self.in_netns(ns, move || set_device(&name_owned, &w)) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(why)) => Err(KernelError::Failed(why)),
            Err(err) => match io_errno(&err) {
                Some(nix::errno::Errno::EADDRINUSE) => {
                    Err(KernelError::Failed(format!("the listen port of '{name}' is in use in {ns} already")))
                }
                errno => Err(generic(errno, &err)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_keys_follow_rfc7748() {
        // RFC 7748, section 6.1: Alice's key pair.
        let private: [u8; 32] = [
            0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2, 0x66, 0x45,
            0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a,
        ];
        let public = public_key(&private);
        assert_eq!(public[..4], [0x85, 0x20, 0xf0, 0x09]);
        assert_eq!(public[28..], [0xaa, 0x9b, 0x4e, 0x6a]);
        let made = generate_private_key().unwrap();
        assert_eq!((made[0] & 7, made[31] & 0xc0), (0, 0x40));
        assert_eq!(wg_key(&encode_key(&made)).unwrap(), made);
    }
}
