//! Graphviz DOT and Mermaid text of a topology.

use super::topology::{EdgeKind, End, Node, NodeKind, Topology};

fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Text for a Graphviz HTML-like label.
fn html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Fill and border of each kind of node, as the SVG has them.
fn colours(kind: NodeKind) -> (&'static str, &'static str) {
    match kind {
        NodeKind::Host => ("#ececec", "#555555"),
        NodeKind::Namespace => ("#e6f0fb", "#3d6fa8"),
        NodeKind::Bridge => ("#fff3d9", "#a8741a"),
        NodeKind::Outside => ("#ffffff", "#999999"),
    }
}

/// Where an edge meets a node: a cell of its own on the node's top (towards
/// the host) or bottom edge, or the node's edge itself when the end has no
/// interface to name.
struct Cell {
    edge: usize,
    port: String,
    bottom: bool,
    lines: Vec<String>,
    /// Where the node at the other end comes in the walk from the host.
    other_rank: usize,
}

/// The topology as an undirected DOT graph. Each node is a table whose
/// cells are its interfaces: along the bottom those towards nodes further
/// from the host, along the top those towards the host. An edge runs from
/// cell to cell, so Graphviz has no labels of its own to place.
pub fn dot(topology: &Topology) -> String {
    let mut rank = vec![0; topology.nodes.len()];
    for (r, &node) in topology.walk_order().iter().enumerate() {
        rank[node] = r;
    }
    let index = |id: &str| topology.node_index(id);
    let mut cells: Vec<Vec<Cell>> = (0..topology.nodes.len()).map(|_| Vec::new()).collect();
    // (tail, head) of each edge: `"node":"port":compass` or `"node":compass`.
    let mut ends: Vec<(String, String)> = Vec::new();
    for (e, edge) in topology.edges.iter().enumerate() {
        let (a, b) = (index(&edge.a.node), index(&edge.b.node));
        let looped = a == b;
        let mut place = |end: &End, node: Option<usize>, other: Option<usize>, bottom: bool, suffix: &str| {
            let compass = if bottom { "s" } else { "n" };
            let lines = end.lines();
            match node {
                Some(n) if !lines.is_empty() => {
                    let port = format!("e{e}{suffix}");
                    let other_rank = other.map_or(usize::MAX, |o| if o == n { usize::MAX } else { rank[o] });
                    cells[n].push(Cell { edge: e, port: port.clone(), bottom, lines, other_rank });
                    format!("{}:{}:{compass}", quote(&end.node), quote(&port))
                }
                _ => format!("{}:{compass}", quote(&end.node)),
            }
        };
        let tail = place(&edge.a, a, b, true, if looped { "a" } else { "" });
        let head = place(&edge.b, b, a, looped, if looped { "b" } else { "" });
        ends.push((tail, head));
    }
    let mut out = format!("graph {} {{\n", quote(&topology.lab));
    out.push_str(&format!("  // lab '{}' as netscript read it from the kernel\n", topology.lab));
    out.push_str("  graph [fontname=\"monospace\", nodesep=0.3, ranksep=0.6];\n");
    out.push_str("  node [fontname=\"monospace\", fontsize=11, shape=plain];\n");
    out.push_str("  edge [penwidth=1.4];\n");
    for (n, node) in topology.nodes.iter().enumerate() {
        out.push_str(&format!("  {} [label=<{}>];\n", quote(&node.id), node_table(node, &mut cells[n])));
    }
    for ((tail, head), edge) in ends.iter().zip(&topology.edges) {
        let style = match edge.kind {
            EdgeKind::Port => "style=dashed, color=\"#a8741a\"",
            EdgeKind::Veth => "color=\"#444444\"",
            EdgeKind::Tunnel => "style=dotted, penwidth=2, color=\"#2a6fb0\"",
        };
        let label = edge.shape_label().map(|shape| format!(", label={}", quote(&shape))).unwrap_or_default();
        out.push_str(&format!("  {tail} -- {head} [{style}{label}];\n"));
    }
    out.push_str("}\n");
    out
}

/// A node's HTML-like table: top cells, name and kind, bottom cells.
fn node_table(node: &Node, cells: &mut [Cell]) -> String {
    let (fill, border) = colours(node.kind);
    // Cells face the nodes they lead to, in the order of the walk.
    cells.sort_by_key(|c| (c.other_rank, c.edge));
    let row = |bottom: bool| -> String {
        let row: String = cells
            .iter()
            .filter(|c| c.bottom == bottom)
            .map(|c| {
                let mut text = html(&c.lines[0]);
                for line in &c.lines[1..] {
                    text.push_str(&format!("<br/><font color=\"#3b5e2b\">{}</font>", html(line)));
                }
                format!(
                    "<td port=\"{}\" border=\"1\" color=\"{border}\" bgcolor=\"#ffffff\">{text}</td>",
                    c.port
                )
            })
            .collect();
        if row.is_empty() {
            String::new()
        } else {
            format!(
                "<tr><td><table border=\"0\" cellspacing=\"4\" cellpadding=\"2\"><tr>{row}</tr></table></td></tr>"
            )
        }
    };
    let kind = super::layout::kind_text(node);
    let kind = if kind.is_empty() {
        String::new()
    } else {
        format!("<br/><font point-size=\"9\" color=\"#666666\">{}</font>", html(&kind))
    };
    let style = if node.kind == NodeKind::Outside { "dashed" } else { "rounded" };
    format!(
        "<table border=\"1\" cellborder=\"0\" cellspacing=\"0\" cellpadding=\"3\" style=\"{style}\" \
         color=\"{border}\" bgcolor=\"{fill}\">{}<tr><td cellpadding=\"5\"><b>{}</b>{kind}</td></tr>{}</table>",
        row(false),
        html(&node.label),
        row(true)
    )
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
        let label = match &node.note {
            Some(note) => mermaid_text(&format!("{} ({note})", node.label)),
            None => mermaid_text(&node.label),
        };
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
        let line = match edge.kind {
            EdgeKind::Port => "-.-",
            EdgeKind::Tunnel => "===",
            EdgeKind::Veth => "---",
        };
        let label = if label.is_empty() { String::new() } else { format!("|\"{label}\"|") };
        out.push_str(&format!("  {} {line}{label} {}\n", id(&edge.a.node), id(&edge.b.node)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::topology::Edge;
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
        let node =
            |id: &str, kind, label: &str| Node { id: id.into(), kind, label: label.into(), note: None };
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
    fn dot_has_one_line_per_node_and_edge_from_cell_to_cell() {
        let text = dot(&small());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "graph \"lab\" {");
        let nodes: Vec<&str> = lines.iter().filter(|l| l.contains(" [label=<")).copied().collect();
        assert_eq!(nodes.len(), 3);
        assert!(nodes[0].starts_with("  \"host\" [label=<<table "), "{}", nodes[0]);
        // Each interface is a cell with a port; the title in between.
        assert!(
            nodes[2].contains(
                "<td port=\"e1\" border=\"1\" color=\"#3d6fa8\" bgcolor=\"#ffffff\">eth0<br/>\
                 <font color=\"#3b5e2b\">10.0.0.5/24</font><br/><font color=\"#3b5e2b\">fd00::5/64</font></td>"
            ),
            "{}",
            nodes[2]
        );
        assert!(
            nodes[2].contains("<b>web</b><br/><font point-size=\"9\" color=\"#666666\">namespace</font>")
        );
        let edges: Vec<&str> = lines.iter().filter(|l| l.contains(" -- ")).copied().collect();
        assert_eq!(
            edges,
            [
                "  \"host/br0\":s -- \"host\":\"e0\":n [style=dashed, color=\"#a8741a\"];",
                "  \"host/br0\":\"e1\":s -- \"web\":\"e1\":n [color=\"#444444\"];"
            ]
        );
    }

    #[test]
    fn a_shaped_edge_is_labelled_with_its_shape() {
        let mut topology = small();
        let shape = Some("40ms 10mbit 1.5% loss".to_string());
        topology.edges[1].a.shape = shape.clone();
        topology.edges[1].b.shape = shape;
        assert!(
            dot(&topology).contains(r##"color="#444444", label="40ms 10mbit 1.5% loss"];"##),
            "{}",
            dot(&topology)
        );
        assert!(mermaid(&topology).contains("fd00::5/64 (40ms 10mbit 1.5% loss)\"| n2"));
        topology.edges[1].b.shape = Some("10mbit".into());
        assert_eq!(
            topology.edges[1].shape_label().as_deref(),
            Some("web-br: 40ms 10mbit 1.5% loss | eth0: 10mbit")
        );
    }

    #[test]
    fn dot_escapes_labels() {
        let mut topology = small();
        topology.nodes[2].label = "we\"b<&>".into();
        topology.nodes[0].id = "ho\"st".into();
        topology.edges[0].b.node = "ho\"st".into();
        let text = dot(&topology);
        assert!(text.contains("<b>we&quot;b&lt;&amp;&gt;</b>"), "{text}");
        assert!(text.contains("\"ho\\\"st\" [label=<"), "{text}");
    }

    #[test]
    fn graphviz_draws_it_without_a_complaint() {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let Ok(mut child) = Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        else {
            assert_ne!(std::env::var("CI").ok().as_deref(), Some("true"), "CI has no dot");
            eprintln!("skipped: Graphviz's dot is not installed");
            return;
        };
        child.stdin.take().unwrap().write_all(dot(&small()).as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stderr), "");
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
