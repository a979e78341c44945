//! Graphviz DOT and Mermaid text of a topology.

use super::topology::{EdgeKind, End, NodeKind, Topology};

fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Lines of a DOT label, kept as `\n` escapes.
fn dot_label(lines: &[String]) -> String {
    let escaped: Vec<String> = lines.iter().map(|l| l.replace('\\', "\\\\").replace('"', "\\\"")).collect();
    format!("\"{}\"", escaped.join("\\n"))
}

/// The topology as an undirected DOT graph. Edges run from the end nearer
/// the host, so `dot` ranks the host at the top.
pub fn dot(topology: &Topology) -> String {
    let mut out = format!("graph {} {{\n", quote(&topology.lab));
    out.push_str(&format!("  // lab '{}' as netscript read it from the kernel\n", topology.lab));
    out.push_str("  graph [fontname=\"monospace\", nodesep=0.4, ranksep=0.8];\n");
    out.push_str("  node [fontname=\"monospace\", fontsize=12];\n");
    out.push_str("  edge [fontname=\"monospace\", fontsize=10, labeldistance=2.5];\n");
    for node in &topology.nodes {
        let style = match node.kind {
            NodeKind::Host => "shape=box3d",
            NodeKind::Namespace => "shape=box, style=rounded",
            NodeKind::Bridge => "shape=hexagon",
            NodeKind::Outside => "shape=plaintext",
        };
        out.push_str(&format!("  {} [label={}, {style}];\n", quote(&node.id), quote(&node.label)));
    }
    for edge in &topology.edges {
        let mut attrs = Vec::new();
        let label = |end: &End| (!end.lines().is_empty()).then(|| dot_label(&end.lines()));
        if let Some(text) = label(&edge.a) {
            attrs.push(format!("taillabel={text}"));
        }
        if let Some(text) = label(&edge.b) {
            attrs.push(format!("headlabel={text}"));
        }
        if let Some(shape) = edge.shape_label() {
            attrs.push(format!("label={}", quote(&shape)));
        }
        if edge.kind == EdgeKind::Port {
            attrs.push("style=dashed".into());
        }
        let attrs = if attrs.is_empty() { String::new() } else { format!(" [{}]", attrs.join(", ")) };
        out.push_str(&format!("  {} -- {}{attrs};\n", quote(&edge.a.node), quote(&edge.b.node)));
    }
    out.push_str("}\n");
    out
}

fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
}

/// The topology as a Mermaid flowchart. Mermaid labels an edge in its
/// middle only, so one label names both ends: `a-end ↔ b-end`.
pub fn mermaid(topology: &Topology) -> String {
    let mut out = format!("%% lab '{}' as netscript read it from the kernel\nflowchart TB\n", topology.lab);
    let id = |node: &str| topology.node_index(node).map(|i| format!("n{i}")).unwrap_or_default();
    for (i, node) in topology.nodes.iter().enumerate() {
        let label = mermaid_text(&node.label);
        let shape = match node.kind {
            NodeKind::Host => format!("[[\"{label}\"]]"),
            NodeKind::Namespace => format!("(\"{label}\")"),
            NodeKind::Bridge => format!("{{{{\"{label}\"}}}}"),
            NodeKind::Outside => format!(">\"{label}\"]"),
        };
        out.push_str(&format!("  n{i}{shape}\n"));
    }
    for edge in &topology.edges {
        let side = |end: &End| mermaid_text(&end.lines().join(" "));
        let mut label = match (side(&edge.a), side(&edge.b)) {
            (a, b) if a.is_empty() => b,
            (a, b) if b.is_empty() => a,
            (a, b) => format!("{a} ↔ {b}"),
        };
        if let Some(shape) = edge.shape_label() {
            label = format!("{label} ({})", mermaid_text(&shape));
        }
        let line = if edge.kind == EdgeKind::Port { "-.-" } else { "---" };
        let label = if label.is_empty() { String::new() } else { format!("|\"{label}\"|") };
        out.push_str(&format!("  {} {line}{label} {}\n", id(&edge.a.node), id(&edge.b.node)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::topology::{Edge, Node};
    use super::*;

    pub fn end(node: &str, ifname: Option<&str>, addrs: &[&str]) -> End {
        End {
            node: node.into(),
            ifname: ifname.map(String::from),
            addrs: addrs.iter().map(|a| a.to_string()).collect(),
            shape: None,
        }
    }

    fn small() -> Topology {
        let node = |id: &str, kind, label: &str| Node { id: id.into(), kind, label: label.into() };
        Topology {
            lab: "lab".into(),
            nodes: vec![
                node("host", NodeKind::Host, "host"),
                node("host/br0", NodeKind::Bridge, "br0"),
                node("web", NodeKind::Namespace, "web"),
            ],
            edges: vec![
                Edge {
                    kind: EdgeKind::Port,
                    a: end("host/br0", None, &[]),
                    b: end("host", Some("br0"), &["10.0.0.1/24"]),
                },
                Edge {
                    kind: EdgeKind::Veth,
                    a: end("host/br0", Some("web-br"), &[]),
                    b: end("web", Some("eth0"), &["10.0.0.5/24", "fd00::5/64"]),
                },
            ],
        }
    }

    #[test]
    fn dot_has_one_line_per_node_and_edge() {
        assert_eq!(
            dot(&small()),
            r#"graph "lab" {
  // lab 'lab' as netscript read it from the kernel
  graph [fontname="monospace", nodesep=0.4, ranksep=0.8];
  node [fontname="monospace", fontsize=12];
  edge [fontname="monospace", fontsize=10, labeldistance=2.5];
  "host" [label="host", shape=box3d];
  "host/br0" [label="br0", shape=hexagon];
  "web" [label="web", shape=box, style=rounded];
  "host/br0" -- "host" [headlabel="br0\n10.0.0.1/24", style=dashed];
  "host/br0" -- "web" [taillabel="web-br", headlabel="eth0\n10.0.0.5/24\nfd00::5/64"];
}
"#
        );
    }

    #[test]
    fn a_shaped_edge_is_labelled_with_its_shape() {
        let mut topology = small();
        let shape = Some("40ms 10mbit 1.5% loss".to_string());
        topology.edges[1].a.shape = shape.clone();
        topology.edges[1].b.shape = shape;
        assert!(dot(&topology).contains(
            r#""host/br0" -- "web" [taillabel="web-br", headlabel="eth0\n10.0.0.5/24\nfd00::5/64", label="40ms 10mbit 1.5% loss"];"#
        ));
        assert!(mermaid(&topology).contains("fd00::5/64 (40ms 10mbit 1.5% loss)\"| n2"));
        topology.edges[1].b.shape = Some("10mbit".into());
        assert_eq!(
            topology.edges[1].shape_label().as_deref(),
            Some("web-br: 40ms 10mbit 1.5% loss | eth0: 10mbit")
        );
    }

    #[test]
    fn dot_escapes_quotes() {
        let mut topology = small();
        topology.nodes[2].label = "we\"b".into();
        assert!(dot(&topology).contains(r#"[label="we\"b", shape=box"#));
    }

    #[test]
    fn mermaid_labels_both_ends_in_the_middle() {
        assert_eq!(
            mermaid(&small()),
            "%% lab 'lab' as netscript read it from the kernel\nflowchart TB\n  n0[[\"host\"]]\n  \
             n1{{\"br0\"}}\n  n2(\"web\")\n  n1 -.-|\"br0 10.0.0.1/24\"| n0\n  \
             n1 ---|\"web-br ↔ eth0 10.0.0.5/24 fd00::5/64\"| n2\n"
        );
    }
}
