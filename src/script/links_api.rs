//! The script functions for link kinds, link settings, bridge options and
//! VLANs, fdb and neighbour entries, and WireGuard keys. Each builds an
//! operation from its arguments and options, and names what is wrong with
//! them before the kernel sees anything.

use std::net::SocketAddr;

use rhai::{Array, Dynamic, Engine, Map};

use super::api::{Fallible, Shared, apply, in_any_netns};
use super::options::{Options, to_ip};
use crate::kernel::wireguard::{encode_key, generate_private_key, public_key};
use crate::ops::kinds::{
    Bond, BondMode, BridgeOptions, LinkKind, LinkSettings, Macvlan, MacvlanMode, PortOptions, Tun, Tunnel,
    TunnelKind, Vlan, Vxlan, WgPeer, Wireguard, wg_key,
};
use crate::ops::neighbours::{BridgeVlan, FdbEntry, NeighEntry};
use crate::ops::{Netns, Op};

fn add(lab: &Shared, ns: Netns, name: &str, kind: LinkKind) -> Fallible<()> {
    apply(lab, Op::LinkAdd { ns, name: name.into(), kind })
}

/// The words for an error about an argument of a call that makes `name`.
fn bad(kind: &str, name: &str, ns: &Netns) -> impl Fn(String) -> String {
    let head = format!("cannot add {kind} '{name}'{}", ns.location());
    move |why| format!("{head}: {why}")
}

fn vxlan(options: Map) -> Result<LinkKind, String> {
    let mut o = Options::new(
        options,
        "vxlan",
        &["vni", "id", "remote", "group", "local", "dstport", "dev", "learning", "ttl"],
    );
    let vni = match (o.int::<i64>("vni", "0 to 16777215")?, o.int::<i64>("id", "0 to 16777215")?) {
        (Some(v), _) | (None, Some(v)) => v,
        (None, None) => return Err("a VXLAN needs its vni".into()),
    };
    let vni = u32::try_from(vni)
        .map_err(|_| format!("VNI {vni} is not a VXLAN network identifier (0 to 16777215)"))?;
    let v = Vxlan {
        vni,
        remote: o.ip("remote")?,
        group: o.ip("group")?,
        local: o.ip("local")?,
        dstport: o.int("dstport", "1 to 65535")?.unwrap_or(4789),
        dev: o.text("dev")?,
        learning: o.flag("learning")?.unwrap_or(true),
        ttl: o.int("ttl", "1 to 255")?,
    };
    o.finish()?;
    Ok(LinkKind::Vxlan(v))
}

fn vlan(parent: &str, id: i64, options: Map) -> Result<LinkKind, String> {
    let id = u16::try_from(id)
        .ok()
        .filter(|id| *id <= crate::ops::kinds::VLAN_ID_MAX)
        .ok_or_else(|| format!("VLAN id {id} is not from 0 to 4094"))?;
    let mut o = Options::new(options, "vlan", &["protocol"]);
    let ad = match o.text("protocol")?.as_deref() {
        None | Some("802.1Q") | Some("802.1q") => false,
        Some("802.1ad") | Some("802.1AD") => true,
        Some(other) => return Err(format!("protocol '{other}': a VLAN is 802.1Q or 802.1ad")),
    };
    o.finish()?;
    Ok(LinkKind::Vlan(Vlan { parent: parent.into(), id, ad }))
}

fn macvlan(parent: &str, options: Map, tap: bool) -> Result<LinkKind, String> {
    let mut o = Options::new(options, if tap { "macvtap" } else { "macvlan" }, &["mode"]);
    let mode = match o.text("mode")? {
        Some(mode) => MacvlanMode::parse(&mode)?,
        None => MacvlanMode::Bridge,
    };
    o.finish()?;
    Ok(LinkKind::Macvlan(Macvlan { parent: parent.into(), mode, tap }))
}

fn tun(options: Map, tap: bool) -> Result<LinkKind, String> {
    let mut o = Options::new(options, if tap { "tap" } else { "tun" }, &["owner", "user", "group"]);
    let owner = match (o.int("owner", "a uid")?, o.int("user", "a uid")?) {
        (Some(uid), _) | (None, Some(uid)) => Some(uid),
        _ => None,
    };
    let t = Tun { tap, owner, group: o.int("group", "a gid")? };
    o.finish()?;
    Ok(LinkKind::Tun(t))
}

fn bond(options: &mut Options) -> Result<LinkKind, String> {
    let mode = match options.text("mode")? {
        Some(mode) => BondMode::parse(&mode)?,
        None => BondMode::BalanceRr,
    };
    Ok(LinkKind::Bond(Bond { mode, miimon: options.int("miimon", "0 to 4294967295")? }))
}

fn tunnel(kind: TunnelKind, options: Map) -> Result<LinkKind, String> {
    let mut o = Options::new(options, kind.word(), &["local", "remote", "ttl", "key"]);
    let v4 = |ip: Option<std::net::IpAddr>, what: &str| match ip {
        None => Ok(None),
        Some(std::net::IpAddr::V4(ip)) => Ok(Some(ip)),
        Some(ip) => Err(format!("{what} {ip}: a {} tunnel runs over IPv4", kind.word())),
    };
    let t = Tunnel {
        kind,
        local: v4(o.ip("local")?, "local")?,
        remote: v4(o.ip("remote")?, "remote")?,
        ttl: o.int("ttl", "1 to 255")?,
        key: o.int("key", "0 to 4294967295")?,
    };
    o.finish()?;
    Ok(LinkKind::Tunnel(t))
}

fn wireguard(options: Map) -> Result<LinkKind, String> {
    let mut o =
        Options::new(options, "wireguard", &["private_key", "private_key_file", "listen_port", "peers"]);
    let private_key = match (o.text("private_key")?, o.text("private_key_file")?) {
        (Some(_), Some(_)) => return Err("give private_key or private_key_file, not both".into()),
        (Some(key), None) => Some(key),
        (None, Some(file)) => {
            let text = std::fs::read_to_string(&file)
                .map_err(|err| format!("cannot read the private key from {file}: {err}"))?;
            Some(text.trim().to_string())
        }
        (None, None) => Some(encode_key(&generate_private_key()?)),
    };
    if let Some(key) = &private_key {
        wg_key(key).map_err(|why| format!("private key: {why}"))?;
    }
    let mut peers = Vec::new();
    for peer in o.array("peers")?.unwrap_or_default() {
        let map =
            peer.try_cast::<Map>().ok_or("each peer is a map like #{public_key: ..., allowed_ips: [...]}")?;
        let mut p =
            Options::new(map, "wireguard peer", &["public_key", "endpoint", "allowed_ips", "keepalive"]);
        let public_key = p.text("public_key")?.ok_or("a peer needs its public_key")?;
        wg_key(&public_key).map_err(|why| format!("peer public key: {why}"))?;
        let endpoint = match p.text("endpoint")? {
            None => None,
            Some(text) => Some(text.parse::<SocketAddr>().map_err(|_| {
                format!("endpoint '{text}' is not an address and port (like 192.0.2.2:51820 or [2001:db8::2]:51820)")
            })?),
        };
        let mut allowed_ips = Vec::new();
        for ip in p.array("allowed_ips")?.unwrap_or_default() {
            allowed_ips.push(super::convert::to_cidr(&ip).map_err(|why| format!("allowed_ips: {why}"))?.0);
        }
        let keepalive = p.int("keepalive", "0 to 65535 seconds")?;
        p.finish()?;
        peers.push(WgPeer { public_key, endpoint, allowed_ips, keepalive });
    }
    let w = Wireguard { private_key, listen_port: o.int("listen_port", "1 to 65535")?, peers };
    o.finish()?;
    Ok(LinkKind::Wireguard(w))
}

fn settings(options: Map) -> Result<LinkSettings, String> {
    let mut o =
        Options::new(options, "link", &["mac", "address", "alias", "txqueuelen", "promisc", "arp", "group"]);
    let mac = match (o.text("mac")?, o.text("address")?) {
        (Some(m), _) | (None, Some(m)) => Some(m.to_lowercase()),
        _ => None,
    };
    let s = LinkSettings {
        mac,
        alias: o.text("alias")?,
        txqueuelen: o.int("txqueuelen", "0 to 4294967295")?,
        promisc: o.flag("promisc")?,
        arp: o.flag("arp")?,
        group: o.int("group", "0 to 4294967295")?,
    };
    o.finish()?;
    Ok(s)
}

fn bridge_options(options: Map) -> Result<BridgeOptions, String> {
    let mut o = Options::new(
        options,
        "bridge",
        &["stp", "forward_delay", "ageing_time", "vlan_filtering", "mcast_snooping"],
    );
    let b = BridgeOptions {
        stp: o.flag("stp")?,
        forward_delay: o.int("forward_delay", "200 to 3000 hundredths of a second")?,
        ageing_time: o.int("ageing_time", "hundredths of a second")?,
        vlan_filtering: o.flag("vlan_filtering")?,
        mcast_snooping: o.flag("mcast_snooping")?,
    };
    o.finish()?;
    Ok(b)
}

fn port_options(options: Map) -> Result<PortOptions, String> {
    let mut o = Options::new(options, "bridge port", &["learning", "flood", "hairpin", "isolated"]);
    let p = PortOptions {
        learning: o.flag("learning")?,
        flood: o.flag("flood")?,
        hairpin: o.flag("hairpin")?,
        isolated: o.flag("isolated")?,
    };
    o.finish()?;
    Ok(p)
}

fn bridge_vlan(lab: &Shared, ns: &Netns, dev: &str, vid: i64, options: Map) -> Result<BridgeVlan, String> {
    let vid = u16::try_from(vid).map_err(|_| format!("VLAN id {vid} is not from 1 to 4094"))?;
    let mut o = Options::new(options, "bridge vlan", &["pvid", "untagged"]);
    // On the bridge itself, the VLAN is the bridge's own (`self`).
    let is_bridge = lab.borrow().net().link(ns, dev).is_ok_and(|l| l.kind == "bridge");
    let v = BridgeVlan {
        vid,
        pvid: o.flag("pvid")?.unwrap_or(false),
        untagged: o.flag("untagged")?.unwrap_or(false),
        bridge_self: is_bridge,
    };
    o.finish()?;
    Ok(v)
}

fn fdb_entry(mac: &str, options: Map) -> Result<FdbEntry, String> {
    let mut o = Options::new(
        options,
        "fdb",
        &["dst", "vni", "vlan", "master", "self", "state", "permanent", "static"],
    );
    let master = o.flag("master")?.unwrap_or(false);
    if o.flag("self")? == Some(true) && master {
        return Err("an fdb entry is master or self, not both".into());
    }
    let permanent = match (o.text("state")?.as_deref(), o.flag("permanent")?, o.flag("static")?) {
        (Some("permanent"), ..) | (None, Some(true), _) => true,
        (Some("static"), ..) | (None, _, Some(true)) => false,
        (Some(other), ..) => return Err(format!("state '{other}': an fdb entry is permanent or static")),
        (None, ..) => true,
    };
    let e = FdbEntry {
        mac: mac.to_lowercase(),
        dst: o.ip("dst")?,
        vni: o.int("vni", "0 to 16777215")?,
        vlan: o.int("vlan", "1 to 4094")?,
        master,
        permanent,
    };
    o.finish()?;
    Ok(e)
}

fn neigh_entry(ip: &Dynamic, options: &Dynamic) -> Result<NeighEntry, String> {
    let ip = to_ip(ip)?;
    let mut entry = NeighEntry { ip, lladdr: None, proxy: false, permanent: true };
    if options.is_string() {
        entry.lladdr = Some(options.to_string().to_lowercase());
        return Ok(entry);
    }
    let map = options.clone().try_cast::<Map>().ok_or_else(|| {
        format!(
            "expected a MAC address or a map like #{{lladdr: \"02:00:00:00:00:01\"}}, not {}",
            options.type_name()
        )
    })?;
    let mut o = Options::new(map, "neighbour", &["lladdr", "mac", "proxy", "permanent"]);
    entry.lladdr = match (o.text("lladdr")?, o.text("mac")?) {
        (Some(m), _) | (None, Some(m)) => Some(m.to_lowercase()),
        _ => None,
    };
    entry.proxy = o.flag("proxy")?.unwrap_or(false);
    entry.permanent = o.flag("permanent")?.unwrap_or(true);
    o.finish()?;
    Ok(entry)
}

pub fn register(engine: &mut Engine, lab: &Shared) {
    register_kinds(engine, lab);
    register_settings(engine, lab);
    register_tables(engine, lab);
    engine.register_fn("wg_genkey", || -> Fallible<String> { Ok(encode_key(&generate_private_key()?)) });
    engine.register_fn("wg_pubkey", |private: &str| -> Fallible<String> {
        let key = wg_key(private).map_err(|why| format!("cannot derive a public key: {why}"))?;
        Ok(encode_key(&public_key(&key)))
    });
}

fn register_kinds(engine: &mut Engine, lab: &Shared) {
    in_any_netns!(engine, lab, "vxlan_add", |l, ns, name: &str, options: Map| {
        let kind = vxlan(options).map_err(bad("vxlan", name, &ns))?;
        add(l, ns, name, kind)
    });
    in_any_netns!(engine, lab, "vlan_add", |l, ns, name: &str, parent: &str, id: i64| {
        let kind = vlan(parent, id, Map::new()).map_err(bad("vlan", name, &ns))?;
        add(l, ns, name, kind)
    });
    in_any_netns!(engine, lab, "vlan_add", |l, ns, name: &str, parent: &str, id: i64, options: Map| {
        let kind = vlan(parent, id, options).map_err(bad("vlan", name, &ns))?;
        add(l, ns, name, kind)
    });
    for (fname, tap) in [("macvlan_add", false), ("macvtap_add", true)] {
        let what = if tap { "macvtap" } else { "macvlan" };
        let lab1 = lab.clone();
        engine.register_fn(fname, move |name: &str, parent: &str| -> Fallible<()> {
            let kind = macvlan(parent, Map::new(), tap).map_err(bad(what, name, &Netns::Host))?;
            add(&lab1, Netns::Host, name, kind)
        });
        let lab1 = lab.clone();
        engine.register_fn(fname, move |name: &str, parent: &str, options: Map| -> Fallible<()> {
            let kind = macvlan(parent, options, tap).map_err(bad(what, name, &Netns::Host))?;
            add(&lab1, Netns::Host, name, kind)
        });
        let lab1 = lab.clone();
        engine.register_fn(fname, move |ns: Netns, name: &str, parent: &str| -> Fallible<()> {
            let kind = macvlan(parent, Map::new(), tap).map_err(bad(what, name, &ns))?;
            add(&lab1, ns, name, kind)
        });
        let lab1 = lab.clone();
        engine.register_fn(fname, move |ns: Netns, name: &str, parent: &str, options: Map| -> Fallible<()> {
            let kind = macvlan(parent, options, tap).map_err(bad(what, name, &ns))?;
            add(&lab1, ns, name, kind)
        });
    }
    in_any_netns!(engine, lab, "dummy_add", |l, ns, name: &str| { add(l, ns, name, LinkKind::Dummy) });
    for (fname, tap) in [("tun_add", false), ("tap_add", true)] {
        let what = if tap { "tap" } else { "tun" };
        let lab1 = lab.clone();
        engine.register_fn(fname, move |name: &str| -> Fallible<()> {
            add(&lab1, Netns::Host, name, tun(Map::new(), tap).map_err(bad(what, name, &Netns::Host))?)
        });
        let lab1 = lab.clone();
        engine.register_fn(fname, move |name: &str, options: Map| -> Fallible<()> {
            add(&lab1, Netns::Host, name, tun(options, tap).map_err(bad(what, name, &Netns::Host))?)
        });
        let lab1 = lab.clone();
        engine.register_fn(fname, move |ns: Netns, name: &str| -> Fallible<()> {
            let kind = tun(Map::new(), tap).map_err(bad(what, name, &ns))?;
            add(&lab1, ns, name, kind)
        });
        let lab1 = lab.clone();
        engine.register_fn(fname, move |ns: Netns, name: &str, options: Map| -> Fallible<()> {
            let kind = tun(options, tap).map_err(bad(what, name, &ns))?;
            add(&lab1, ns, name, kind)
        });
    }
    in_any_netns!(engine, lab, "vrf_add", |l, ns, name: &str, table: Dynamic| {
        let table = super::convert::to_table(&table).map_err(bad("vrf", name, &ns))?;
        add(l, ns, name, LinkKind::Vrf { table })
    });
    in_any_netns!(engine, lab, "wireguard_add", |l, ns, name: &str, options: Map| {
        let kind = wireguard(options).map_err(bad("wireguard interface", name, &ns))?;
        add(l, ns, name, kind)
    });
    in_any_netns!(engine, lab, "bond_add", |l, ns, name: &str| -> Fallible<()> {
        let kind = bond(&mut Options::new(Map::new(), "bond", &["mode", "miimon", "members"]))?;
        add(l, ns, name, kind)
    });
    in_any_netns!(engine, lab, "bond_add", |l, ns, name: &str, options: Map| -> Fallible<()> {
        let mut o = Options::new(options, "bond", &["mode", "miimon", "members"]);
        let kind = bond(&mut o).map_err(bad("bond", name, &ns))?;
        let members: Vec<String> = o
            .array("members")
            .map_err(bad("bond", name, &ns))?
            .unwrap_or_default()
            .iter()
            .map(|m| m.to_string())
            .collect();
        o.finish().map_err(bad("bond", name, &ns))?;
        add(l, ns.clone(), name, kind)?;
        for member in members {
            // A bond takes only ports that are down.
            apply(l, Op::LinkSetUp { ns: ns.clone(), dev: member.clone(), up: false })?;
            apply(l, Op::LinkSetMaster { ns: ns.clone(), dev: member, master: Some(name.into()) })?;
        }
        Ok(())
    });
    for kind in [TunnelKind::Gre, TunnelKind::Gretap, TunnelKind::Ipip, TunnelKind::Sit] {
        let fname = format!("{}_add", kind.word());
        let lab1 = lab.clone();
        engine.register_fn(&fname, move |name: &str, options: Map| -> Fallible<()> {
            let made = tunnel(kind, options).map_err(bad(kind.word(), name, &Netns::Host))?;
            add(&lab1, Netns::Host, name, made)
        });
        let lab1 = lab.clone();
        engine.register_fn(&fname, move |ns: Netns, name: &str, options: Map| -> Fallible<()> {
            let made = tunnel(kind, options).map_err(bad(kind.word(), name, &ns))?;
            add(&lab1, ns, name, made)
        });
    }
}

fn register_settings(engine: &mut Engine, lab: &Shared) {
    in_any_netns!(engine, lab, "link_set", |l, ns, dev: &str, options: Map| {
        let settings =
            settings(options).map_err(|why| format!("cannot change link '{dev}'{}: {why}", ns.location()))?;
        apply(l, Op::LinkSet { ns, dev: dev.into(), settings })
    });
    in_any_netns!(engine, lab, "bridge_add", |l, ns, name: &str, options: Map| {
        let options = bridge_options(options).map_err(bad("bridge", name, &ns))?;
        apply(l, Op::BridgeAdd { ns: ns.clone(), name: name.into() })?;
        apply(l, Op::BridgeSet { ns, dev: name.into(), options })
    });
    in_any_netns!(engine, lab, "bridge_set", |l, ns, dev: &str, options: Map| {
        let options = bridge_options(options)
            .map_err(|why| format!("cannot change bridge '{dev}'{}: {why}", ns.location()))?;
        apply(l, Op::BridgeSet { ns, dev: dev.into(), options })
    });
    in_any_netns!(engine, lab, "bridge_port_set", |l, ns, dev: &str, options: Map| {
        let options = port_options(options)
            .map_err(|why| format!("cannot change bridge port '{dev}'{}: {why}", ns.location()))?;
        apply(l, Op::BridgePortSet { ns, dev: dev.into(), options })
    });
    in_any_netns!(engine, lab, "bridge_vlan_add", |l, ns, dev: &str, vid: i64| {
        let vlan = bridge_vlan(l, &ns, dev, vid, Map::new())?;
        apply(l, Op::BridgeVlanAdd { ns, dev: dev.into(), vlan })
    });
    in_any_netns!(engine, lab, "bridge_vlan_add", |l, ns, dev: &str, vid: i64, options: Map| {
        let vlan = bridge_vlan(l, &ns, dev, vid, options)
            .map_err(|why| format!("cannot add VLAN {vid} to '{dev}'{}: {why}", ns.location()))?;
        apply(l, Op::BridgeVlanAdd { ns, dev: dev.into(), vlan })
    });
    in_any_netns!(engine, lab, "bridge_vlan_del", |l, ns, dev: &str, vid: i64| {
        let vlan = bridge_vlan(l, &ns, dev, vid, Map::new())?;
        apply(l, Op::BridgeVlanDel { ns, dev: dev.into(), vlan })
    });
    in_any_netns!(engine, lab, "bridge_vlan_list", |l, ns| -> Fallible<Array> {
        let vlans = l.borrow().net().bridge_vlans(&ns).map_err(|err| err.to_string())?;
        Ok(vlans
            .iter()
            .map(|v| {
                let mut map = Map::new();
                map.insert("dev".into(), v.dev.clone().into());
                map.insert("vid".into(), Dynamic::from(i64::from(v.vlan.vid)));
                map.insert("pvid".into(), v.vlan.pvid.into());
                map.insert("untagged".into(), v.vlan.untagged.into());
                map.into()
            })
            .collect())
    });
}

fn register_tables(engine: &mut Engine, lab: &Shared) {
    let fdb_error = |verb: &'static str, dev: String, ns: Netns| {
        move |why: String| format!("cannot {verb} the fdb entry on '{dev}'{}: {why}", ns.location())
    };
    in_any_netns!(engine, lab, "fdb_add", |l, ns, dev: &str, mac: &str| {
        let entry = fdb_entry(mac, Map::new()).map_err(fdb_error("add", dev.into(), ns.clone()))?;
        apply(l, Op::FdbAdd { ns, dev: dev.into(), entry, append: false })
    });
    in_any_netns!(engine, lab, "fdb_add", |l, ns, dev: &str, mac: &str, options: Map| {
        let entry = fdb_entry(mac, options).map_err(fdb_error("add", dev.into(), ns.clone()))?;
        apply(l, Op::FdbAdd { ns, dev: dev.into(), entry, append: false })
    });
    in_any_netns!(engine, lab, "fdb_append", |l, ns, dev: &str, mac: &str, options: Map| {
        let entry = fdb_entry(mac, options).map_err(fdb_error("append", dev.into(), ns.clone()))?;
        apply(l, Op::FdbAdd { ns, dev: dev.into(), entry, append: true })
    });
    in_any_netns!(engine, lab, "fdb_del", |l, ns, dev: &str, mac: &str| {
        let entry = fdb_entry(mac, Map::new()).map_err(fdb_error("delete", dev.into(), ns.clone()))?;
        apply(l, Op::FdbDel { ns, dev: dev.into(), entry })
    });
    in_any_netns!(engine, lab, "fdb_del", |l, ns, dev: &str, mac: &str, options: Map| {
        let entry = fdb_entry(mac, options).map_err(fdb_error("delete", dev.into(), ns.clone()))?;
        apply(l, Op::FdbDel { ns, dev: dev.into(), entry })
    });
    in_any_netns!(engine, lab, "fdb_list", |l, ns| -> Fallible<Array> { fdb_list(l, &ns, None) });
    in_any_netns!(engine, lab, "fdb_list", |l, ns, dev: &str| -> Fallible<Array> {
        fdb_list(l, &ns, Some(dev))
    });
    in_any_netns!(engine, lab, "neigh_add", |l, ns, dev: &str, ip: Dynamic, options: Dynamic| {
        let entry = neigh_entry(&ip, &options)
            .map_err(|why| format!("cannot add neighbour {ip} on '{dev}'{}: {why}", ns.location()))?;
        apply(l, Op::NeighAdd { ns, dev: dev.into(), entry })
    });
    in_any_netns!(engine, lab, "neigh_del", |l, ns, dev: &str, ip: Dynamic| {
        let entry = NeighEntry { ip: to_ip(&ip)?, lladdr: None, proxy: false, permanent: true };
        apply(l, Op::NeighDel { ns, dev: dev.into(), entry })
    });
    in_any_netns!(engine, lab, "neigh_del", |l, ns, dev: &str, ip: Dynamic, options: Map| {
        let entry = neigh_entry(&ip, &Dynamic::from(options))
            .map_err(|why| format!("cannot delete neighbour {ip} on '{dev}'{}: {why}", ns.location()))?;
        apply(l, Op::NeighDel { ns, dev: dev.into(), entry })
    });
    in_any_netns!(engine, lab, "neigh_list", |l, ns| -> Fallible<Array> {
        let found = l.borrow().net().neighbours(&ns).map_err(|err| err.to_string())?;
        Ok(found
            .iter()
            .map(|n| {
                let mut map = Map::new();
                map.insert("dev".into(), n.dev.clone().into());
                map.insert("dst".into(), n.ip.to_string().into());
                map.insert("lladdr".into(), n.lladdr.clone().map_or(Dynamic::UNIT, Dynamic::from));
                map.insert("proxy".into(), n.proxy.into());
                map.insert("state".into(), n.state.clone().into());
                map.into()
            })
            .collect())
    });
}

fn fdb_list(lab: &Shared, ns: &Netns, dev: Option<&str>) -> Fallible<Array> {
    let found = lab.borrow().net().fdb(ns, dev).map_err(|err| err.to_string())?;
    Ok(found
        .iter()
        .map(|f| {
            let mut map = Map::new();
            map.insert("dev".into(), f.dev.clone().into());
            map.insert("mac".into(), f.entry.mac.clone().into());
            map.insert("dst".into(), f.entry.dst.map_or(Dynamic::UNIT, |d| d.to_string().into()));
            map.insert("vni".into(), f.entry.vni.map_or(Dynamic::UNIT, |v| Dynamic::from(i64::from(v))));
            map.insert("vlan".into(), f.entry.vlan.map_or(Dynamic::UNIT, |v| Dynamic::from(i64::from(v))));
            map.insert("master".into(), f.entry.master.into());
            map.insert("state".into(), f.state.clone().into());
            map.into()
        })
        .collect())
}
