//! Seeing a lab: `graph` and `show` of labs built in sandboxes, checked
//! against the lab's own topology and against `ip -j`; completions, the
//! man page, the progress line and colour.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

use crate::support::{Sandbox, privileged};

/// Two namespaces on a host bridge with the gateway address, default
/// routes, and masquerade out of a stand-in uplink (a veth into an
/// "internet" namespace). Ends by printing its own graph.
const BRIDGE_NAT: &str = r#"
let internet = netns_add("internet");
veth_add(host(), "uplink", internet, "isp0");
addr_add("uplink", "203.0.113.2/24");
link_up("uplink");
internet.addr_add("isp0", "203.0.113.1/24");
internet.link_up("isp0");
route_add("default", "203.0.113.1");
bridge_add("vnet-0");
addr_add("vnet-0", "192.168.15.1/24");
link_up("vnet-0");
let n = 5;
for name in ["web", "db"] {
    let ns = netns_add(`${name}-ns`);
    veth_add(host(), `veth-${name}-br`, ns, `eth0-${name}`);
    link_set_master(`veth-${name}-br`, "vnet-0");
    link_up(`veth-${name}-br`);
    ns.addr_add(`eth0-${name}`, `192.168.15.${n}/24`);
    ns.link_up(`eth0-${name}`);
    ns.route_add("default", "192.168.15.1");
    n += 1;
}
forwarding(true);
masquerade("192.168.15.0/24", "uplink");
forward_accept("vnet-0", "uplink");
print(graph());
"#;

/// Node ids and edges ("a -- b [attributes]") of DOT text.
fn dot_parts(dot: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut nodes = BTreeSet::new();
    let mut edges = BTreeSet::new();
    for line in dot.lines().map(str::trim) {
        if line.contains(" -- ") {
            edges.insert(line.trim_end_matches(';').to_string());
        } else if line.starts_with('"') && line.contains(" [label=") {
            nodes.insert(line.split('"').nth(1).unwrap().to_string());
        }
    }
    (nodes, edges)
}

/// The interface cells of DOT text: "node port: text of the cell".
fn dot_cells(dot: &str) -> BTreeSet<String> {
    let mut cells = BTreeSet::new();
    for line in dot.lines().map(str::trim).filter(|l| l.contains(" [label=<")) {
        let node = line.split('"').nth(1).unwrap();
        for cell in line.split("<td port=\"").skip(1) {
            let (port, rest) = cell.split_once('"').unwrap();
            let inside = &rest[rest.find('>').unwrap() + 1..rest.find("</td>").unwrap()];
            // The text without its tags, a line break as a space.
            let mut text = String::new();
            let mut in_tag = false;
            for c in inside.replace("<br/>", " ").chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            cells.insert(format!("{node} {port}: {text}"));
        }
    }
    cells
}

/// The nodes, edges and interface cells of BRIDGE_NAT's graph.
const NODES: [&str; 5] = ["host", "host/vnet-0", "internet", "web-ns", "db-ns"];
const EDGES: [&str; 4] = [
    r##""host":"e0":s -- "internet":"e0":n [color="#444444"]"##,
    r##""host":"e1":s -- "host/vnet-0":n [style=dashed, color="#a8741a"]"##,
    r##""host/vnet-0":"e2":s -- "web-ns":"e2":n [color="#444444"]"##,
    r##""host/vnet-0":"e3":s -- "db-ns":"e3":n [color="#444444"]"##,
];
const CELLS: [&str; 7] = [
    "host e0: uplink 203.0.113.2/24",
    "host e1: vnet-0 192.168.15.1/24",
    "internet e0: isp0 203.0.113.1/24",
    "host/vnet-0 e2: veth-web-br",
    "host/vnet-0 e3: veth-db-br",
    "web-ns e2: eth0-web 192.168.15.5/24",
    "db-ns e3: eth0-db 192.168.15.6/24",
];

#[test]
fn graph_of_a_bridge_and_nat_lab() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("bridge-nat.rhai", BRIDGE_NAT)
        .step("netscript bridge-nat.rhai")
        .step("netscript graph bridge-nat")
        .step("netscript graph bridge-nat --format svg")
        .step("netscript graph bridge-nat -o lab.svg && cat lab.svg")
        .step("netscript graph bridge-nat -f mermaid")
        .step("netscript graph nope")
        .run();
    out[0].success();
    let dot = &out[1].success().stdout;
    let (nodes, edges) = dot_parts(dot);
    assert_eq!(nodes, NODES.iter().map(|n| n.to_string()).collect(), "{dot}");
    assert_eq!(edges, EDGES.iter().map(|e| e.to_string()).collect(), "{dot}");
    assert_eq!(dot_cells(dot), CELLS.iter().map(|c| c.to_string()).collect(), "{dot}");
    // The script's graph() at its end saw the same lab.
    assert_eq!(out[0].stdout, format!("{dot}\n"));

    for svg in [&out[2].success().stdout, &out[3].success().stdout] {
        let doc = roxmltree::Document::parse(svg).unwrap_or_else(|err| panic!("not XML: {err}\n{svg}"));
        let node_titles: BTreeSet<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("g") && n.attribute("class").is_some_and(|c| c.starts_with("node ")))
            .map(|g| {
                g.children().find(|c| c.has_tag_name("title")).and_then(|t| t.text()).unwrap().to_string()
            })
            .collect();
        assert_eq!(node_titles, nodes);
        let node_groups =
            doc.descendants().filter(|n| n.attribute("class").is_some_and(|c| c.starts_with("node ")));
        assert_eq!(node_groups.count(), NODES.len());
        let paths =
            doc.descendants().filter(|n| n.attribute("class").is_some_and(|c| c.starts_with("edge ")));
        assert_eq!(paths.count(), EDGES.len());
    }
    let mermaid = &out[4].success().stdout;
    assert!(mermaid.contains("flowchart TB\n"), "{mermaid}");
    assert!(mermaid.contains(r#"n1 ---|"veth-web-br ↔ eth0-web 192.168.15.5/24"| n3"#), "{mermaid}");
    out[5].failure(1).stderr_has("lab 'nope' is not up (labs up: bridge-nat)");
}

#[test]
fn a_dry_run_draws_the_same_lab() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("bridge-nat.rhai", BRIDGE_NAT)
        .step("netscript --dry-run bridge-nat.rhai > lab.sh && bash -n lab.sh && cat lab.sh")
        .run();
    // What the script prints stays comments of the printed bash script.
    let printed: Vec<&str> = out[0].success().stdout.lines().filter_map(|l| l.strip_prefix("# ")).collect();
    let (nodes, edges) = dot_parts(&printed.join("\n"));
    assert_eq!(nodes, NODES.iter().map(|n| n.to_string()).collect());
    assert_eq!(edges, EDGES.iter().map(|e| e.to_string()).collect());
    assert_eq!(dot_cells(&printed.join("\n")), CELLS.iter().map(|c| c.to_string()).collect());
}

/// What `ip -j` says of a namespace's links, addresses and routes, in the
/// terms `show --json` uses; for the host, only `links`.
const IP_VIEW: &str = r#"for ns in host internet web-ns db-ns; do
  n=$([ $ns = host ] || echo "-n $ns")
  echo "{\"ns\": \"$ns\", \"link\": $(ip $n -j -d link), \"addr\": $(ip $n -j addr), \"route\": $(ip $n -j route)}"
done"#;

/// Waits until the kernel has given every link that came up its IPv6
/// link-local address (a moment after carrier), so two looks agree.
const SETTLED: &str = r#"settled() { for ns in "" internet web-ns db-ns; do n=${ns:+-n $ns}
    up=$(ip $n -o link show up | grep -v LOOPBACK | grep -c LOWER_UP)
    local6=$(ip $n -6 -o addr show scope link | grep -vc tentative)
    [ "$up" -le "$local6" ] || return 1; done; }
  for i in $(seq 100); do settled && break; sleep 0.05; done"#;

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}

#[test]
fn show_json_matches_what_ip_reports() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("bridge-nat.rhai", BRIDGE_NAT)
        .step(&format!("netscript bridge-nat.rhai && {SETTLED}"))
        .step("netscript show bridge-nat --json")
        .step(IP_VIEW)
        .step("netscript show bridge-nat")
        .step("nft -j list table inet netscript")
        .run();
    out[0].success();
    let show = out[1].json();
    assert_eq!(show["lab"], "bridge-nat");
    assert_eq!(show["script"], "bridge-nat.rhai");
    let names: Vec<&str> =
        show["namespaces"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["host", "internet", "web-ns", "db-ns"]);

    for line in out[2].success().stdout.lines() {
        let ip: Value = serde_json::from_str(line).unwrap();
        let ns = ip["ns"].as_str().unwrap();
        let ours = show["namespaces"].as_array().unwrap().iter().find(|n| n["name"] == ns).unwrap();
        let our_links: Vec<&Value> = ours["links"].as_array().unwrap().iter().collect();
        let shown: Vec<&str> = our_links.iter().map(|l| l["name"].as_str().unwrap()).collect();
        // On the host, the lab's links; in its namespaces, every link.
        let theirs: Vec<&Value> = ip["link"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| ns != "host" || shown.contains(&l["ifname"].as_str().unwrap()))
            .collect();
        let link_view =
            |name: &Value, index: &Value, kind: &Value, mtu: &Value, master: &Value, mac: &Value| {
                format!("{name} {index} {kind} {mtu} {master} {mac}")
            };
        assert_eq!(
            sorted(
                our_links
                    .iter()
                    .map(|l| link_view(
                        &l["name"],
                        &l["index"],
                        &l["kind"],
                        &l["mtu"],
                        &l["master"],
                        &l["mac"]
                    ))
                    .collect()
            ),
            sorted(
                theirs
                    .iter()
                    .map(|l| {
                        let kind =
                            l["linkinfo"]["info_kind"].as_str().map(Value::from).unwrap_or_else(|| {
                                if l["link_type"] == "loopback" { "loopback".into() } else { "device".into() }
                            });
                        link_view(&l["ifname"], &l["ifindex"], &kind, &l["mtu"], &l["master"], &l["address"])
                    })
                    .collect()
            ),
            "links of {ns}"
        );
        if ns == "host" {
            assert_eq!(shown, ["uplink", "vnet-0", "veth-web-br", "veth-db-br"]);
            continue;
        }
        let our_addrs: Vec<String> =
            our_links
                .iter()
                .flat_map(|l| {
                    l["addresses"].as_array().unwrap().iter().map(move |a| {
                        format!("{} {} {} {}", l["name"], a["address"], a["family"], a["scope"])
                    })
                })
                .collect();
        let their_addrs: Vec<String> = ip["addr"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|l| {
                l["addr_info"].as_array().unwrap().iter().map(move |a| {
                    let address = format!("{}/{}", a["local"].as_str().unwrap(), a["prefixlen"]);
                    format!("{} {:?} {} {}", l["ifname"], address, a["family"], a["scope"])
                })
            })
            .collect();
        assert_eq!(sorted(our_addrs), sorted(their_addrs), "addresses of {ns}");
        let our_routes: Vec<String> = ours["routes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["family"] == "inet")
            .map(|r| format!("{} {} {}", r["dst"], r["via"], r["dev"]))
            .collect();
        let their_routes: Vec<String> = ip["route"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| format!("{} {} {}", r["dst"], r["gateway"], r["dev"]))
            .collect();
        assert_eq!(sorted(our_routes), sorted(their_routes), "routes of {ns}");
        assert_eq!(ours["forwarding"], serde_json::json!({"ipv4": false, "ipv6": false}));
        assert!(ours["rules"].as_array().unwrap().is_empty());
    }

    // The host: forwarding on, and the lab's rules as nft lists them.
    let host = &show["namespaces"][0];
    assert_eq!(host["host"], true);
    assert_eq!(host["forwarding"], serde_json::json!({"ipv4": true, "ipv6": true}));
    let our_comments: Vec<String> = host["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["comment"].as_str().unwrap().to_string())
        .collect();
    let nft = out[4].json();
    let their_comments: Vec<String> = nft["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["rule"]["comment"].as_str().map(String::from))
        .collect();
    assert_eq!(sorted(our_comments), sorted(their_comments));
    assert_eq!(host["rules"][0]["chain"], "postrouting");
    assert_eq!(
        host["rules"][0]["rule"],
        "ip saddr 192.168.15.0/24 ip daddr != 192.168.15.0/24 oifname \"uplink\" masquerade"
    );
    // The host's routes are those through the lab's links.
    let host_routes: Vec<&str> =
        host["routes"].as_array().unwrap().iter().map(|r| r["dst"].as_str().unwrap()).collect();
    assert!(host_routes.contains(&"default") && host_routes.contains(&"192.168.15.0/24"), "{host_routes:?}");
    // Veth peers across namespaces are named by namespace and link.
    let web = &show["namespaces"][2];
    let eth0 = web["links"].as_array().unwrap().iter().find(|l| l["name"] == "eth0-web").unwrap();
    assert_eq!(eth0["peer"], serde_json::json!({"namespace": "host", "name": "veth-web-br"}));

    let text = &out[3].success().stdout;
    assert!(text.starts_with("lab bridge-nat (from bridge-nat.rhai)\n"), "{text}");
    assert!(text.contains("\nnamespace web-ns  forwarding: ipv4 off, ipv6 off\n"), "{text}");
    assert!(text.contains("  eth0-web  veth"), "{text}");
    assert!(text.contains("host/veth-web-br  192.168.15.5/24\n"), "{text}");
    assert!(text.contains("    default via 192.168.15.1 dev eth0-web proto boot\n"), "{text}");
    assert!(!text.contains('\x1b'), "no colour when stdout is not a terminal:\n{text}");
}

#[test]
fn the_docs_pictures_are_what_netscript_draws() {
    if !privileged() {
        return;
    }
    let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/docs");
    for lab in ["bridge-nat", "routers", "star", "ospf"] {
        let out = Sandbox::new()
            .step(&format!("netscript {docs}/{lab}.rhai"))
            .step(&format!("netscript down {lab}"))
            .run();
        let committed = std::fs::read_to_string(format!("{docs}/{lab}.svg")).unwrap();
        assert!(
            out[0].success().stdout == committed,
            "docs/{lab}.svg is out of date; make it again with\n  \
             sudo netscript --sandbox docs/{lab}.rhai > docs/{lab}.svg\n\
             and its PNGs as docs/{lab}.rhai says"
        );
    }
}

#[test]
fn graph_draws_png_and_pdf_through_graphviz_and_folds_big_stars() {
    if !privileged() {
        return;
    }
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_netscript")).parent().unwrap().display().to_string();
    let out = Sandbox::new()
        .file("star.rhai", STAR)
        .step("netscript star.rhai hosts=30")
        .step("netscript graph star -o star.png && head -c 8 star.png | od -An -c")
        .step("netscript graph star -o star.pdf && head -c 5 star.pdf")
        .step(&format!("env PATH={bin} netscript graph star -o star2.png; echo \"exit $?\"; ls star2.png"))
        .step("netscript graph star | grep -c 'namespace</font>\\|namespaces</font>'")
        .step("netscript graph star --all | grep -c 'namespace</font>'")
        .step("netscript graph star -f mermaid | grep 'h3 … h29'")
        .run();
    out[0].success();
    assert_eq!(
        out[1].success().stdout.split_whitespace().collect::<Vec<_>>(),
        ["211", "P", "N", "G", "\\r", "\\n", "032", "\\n"]
    );
    assert_eq!(out[2].success().stdout, "%PDF-");
    assert_eq!(out[3].stdout, "exit 1\n");
    out[3]
        .stderr_has(
            "error: cannot draw star2.png: a PNG is drawn by Graphviz's dot, which is not installed \
             (apt install graphviz, dnf install graphviz, brew install graphviz); netscript draws SVG itself: -o lab.svg\n",
        )
        .stderr_has("No such file");
    // h1, h2, h3 … h29 (27 namespaces), h30; --all draws the thirty.
    assert_eq!(out[4].success().stdout, "4\n");
    assert_eq!(out[5].success().stdout, "30\n");
    out[6].success().stdout_has("h3 … h29 (27 namespaces)");
}

fn netscript(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_netscript")).args(args).output().unwrap()
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    for (shell, marker) in
        [("bash", "_netscript()"), ("zsh", "#compdef netscript"), ("fish", "complete -c netscript")]
    {
        let out = netscript(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(marker), "{shell}:\n{text}");
        for word in ["graph", "show", "completions", "format"] {
            assert!(text.contains(word), "{shell} completion lacks {word}");
        }
    }
    // The bash script at least parses.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("netscript.bash");
    std::fs::write(&path, netscript(&["completions", "bash"]).stdout).unwrap();
    let status = Command::new("bash").arg("-n").arg(&path).status().unwrap();
    assert!(status.success());
    assert_eq!(netscript(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn the_man_page_renders() {
    let Some(text) = crate::cli::rendered_man(&["man"]) else { return };
    for part in ["NAME", "netscript", "SYNOPSIS", "--sandbox", "graph", "show", "completions"] {
        assert!(text.contains(part), "the man page lacks {part}:\n{text}");
    }
    // Each command has its page too.
    let text = crate::cli::rendered_man(&["man", "graph"]).unwrap();
    assert!(text.contains("netscript-graph") && text.contains("--format"), "{text}");
    assert_eq!(netscript(&["man", "nope"]).status.code(), Some(2));
}

/// A star of `hosts` namespaces on one bridge.
const STAR: &str = r#"
let hosts = param("hosts", 10);
let lan = cidr("10.10.0.0/16");
bridge_add("star0");
addr_add("star0", lan.host(1));
link_up("star0");
for i in 1..=hosts {
    let h = netns_add(`h${i}`);
    veth_add(host(), `h${i}-port`, h, "eth0");
    link_set_master(`h${i}-port`, "star0");
    link_up(`h${i}-port`);
    h.addr_add("eth0", lan.host(i + 10));
    h.link_up("eth0");
}
"#;

/// Makes namespaces for a second and a half, however fast they come.
const LONG: &str = r#"
let started = timestamp();
let i = 0;
while started.elapsed < 1.5 {
    i += 1;
    netns_add(`n${i}`);
}
"#;

#[test]
fn progress_shows_only_on_a_terminal() {
    if !privileged() {
        return;
    }
    // `script` gives the run a terminal.
    let out = Sandbox::new()
        .file("star.rhai", STAR)
        .file("long.rhai", LONG)
        .step("netscript star.rhai hosts=200")
        .step("netscript down star")
        .step("script -qec 'netscript long.rhai' /dev/null")
        .step("netscript down long")
        .step("script -qec 'netscript --quiet long.rhai' /dev/null")
        .run();
    let plain = &out[0].success().stderr;
    assert_eq!(plain, "lab 'star' is up; take it down with `netscript down star`\n");
    out[1].success();
    let tty = &out[2].success().stdout;
    assert!(tty.contains(" operations, ") && tty.contains(" namespaces made"), "no progress line:\n{tty}");
    // The line is cleared at the end.
    assert!(tty.contains("\x1b[2Klab 'long' is up"), "{tty:?}");
    out[3].success();
    let quiet = &out[4].success().stdout;
    assert!(!quiet.contains(" operations, "), "--quiet printed progress:\n{quiet}");
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("bad.rhai", "link_up(\"nope0\");\n")
        .step("netscript bad.rhai")
        .step("script -qec 'netscript bad.rhai' /dev/null")
        .step("NO_COLOR=1 script -qec 'netscript bad.rhai' /dev/null")
        .run();
    out[0].failure(1).stderr_has("error: cannot set link 'nope0' up");
    assert!(!out[0].stderr.contains('\x1b'));
    assert!(out[1].stdout.contains("\x1b[1;31merror:\x1b[0m "), "{:?}", out[1].stdout);
    assert!(out[2].stdout.contains("error: ") && !out[2].stdout.contains('\x1b'), "{:?}", out[2].stdout);
}
