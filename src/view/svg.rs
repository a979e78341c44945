//! The SVG picture: a laid-out topology drawn as boxes, cells and curves,
//! with no program but netscript. One `<g class="node ...">` per node, whose
//! `<title>` is the node's id (as in the DOT text).

use std::fmt::Write;

use super::layout::{self, CHAR_W, FONT_SIZE, HEADER_H, LINE_H, LOOP_DIP, Layout, MARGIN, TITLE_SIZE};
use super::topology::{EdgeKind, NodeKind, Topology};

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Fill and stroke of each kind of node.
fn colours(kind: NodeKind) -> (&'static str, &'static str) {
    match kind {
        NodeKind::Host => ("#ececec", "#555555"),
        NodeKind::Namespace => ("#e6f0fb", "#3d6fa8"),
        NodeKind::Bridge => ("#fff3d9", "#a8741a"),
        NodeKind::Outside => ("#ffffff", "#999999"),
    }
}

fn num(x: f64) -> String {
    let rounded = (x * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 { format!("{}", rounded as i64) } else { format!("{rounded:.1}") }
}

pub fn svg(layout: &Layout, topology: &Topology) -> String {
    let (w, h) = (num(layout.width), num(layout.height));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"{}\">",
        num(FONT_SIZE)
    );
    let _ = writeln!(out, "<title>lab {}</title>", escape(&topology.lab));
    let _ = writeln!(out, "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>");
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"14\" font-weight=\"bold\" fill=\"#222222\">lab {}</text>",
        num(MARGIN),
        num(MARGIN + HEADER_H / 2.0),
        escape(&topology.lab)
    );
    out.push_str("<g class=\"edges\" fill=\"none\" stroke-width=\"1.6\">\n");
    for (line, edge) in layout.edges.iter().zip(&topology.edges) {
        let ((x1, y1), (x2, y2)) = (line.from, line.to);
        let d = if line.is_loop {
            format!(
                "M{} {} C{} {} {} {} {} {}",
                num(x1),
                num(y1),
                num(x1),
                num(y1 + LOOP_DIP),
                num(x2),
                num(y2 + LOOP_DIP),
                num(x2),
                num(y2)
            )
        } else {
            let bend = (y2 - y1) / 2.0;
            format!(
                "M{} {} C{} {} {} {} {} {}",
                num(x1),
                num(y1),
                num(x1),
                num(y1 + bend),
                num(x2),
                num(y2 - bend),
                num(x2),
                num(y2)
            )
        };
        let (class, style) = match edge.kind {
            EdgeKind::Veth => ("veth", "stroke=\"#444444\""),
            EdgeKind::Port => ("port", "stroke=\"#a8741a\" stroke-dasharray=\"5 4\""),
            EdgeKind::Tunnel => {
                ("tunnel", "stroke=\"#2e7d32\" stroke-dasharray=\"2 3\" stroke-width=\"2.4\"")
            }
        };
        let _ = writeln!(out, "<path class=\"edge {class}\" d=\"{d}\" {style}/>");
    }
    out.push_str("</g>\n");
    shape_labels(&mut out, layout, topology);
    for (node, boxed) in topology.nodes.iter().zip(&layout.nodes) {
        let (fill, stroke) = colours(node.kind);
        let kind = escape(&layout::kind_text(node));
        let r = boxed.rect;
        let class = match node.kind {
            NodeKind::Host => "host",
            NodeKind::Namespace => "namespace",
            NodeKind::Bridge => "bridge",
            NodeKind::Outside => "outside",
        };
        let _ = writeln!(out, "<g class=\"node {class}\">");
        let _ = writeln!(out, "<title>{}</title>", escape(&node.id));
        let dash = if node.kind == NodeKind::Outside { " stroke-dasharray=\"4 3\"" } else { "" };
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"7\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.4\"{dash}/>",
            num(r.x),
            num(r.y),
            num(r.w),
            num(r.h)
        );
        let t = boxed.title;
        let centre = num(t.x + t.w / 2.0);
        let _ = writeln!(
            out,
            "<text x=\"{centre}\" y=\"{}\" text-anchor=\"middle\" font-size=\"{}\" font-weight=\"bold\" fill=\"#1a1a1a\">{}</text>",
            num(t.y + 18.0),
            num(TITLE_SIZE),
            escape(&node.label)
        );
        if !kind.is_empty() {
            let _ = writeln!(
                out,
                "<text x=\"{centre}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#666666\">{kind}</text>",
                num(t.y + 32.0)
            );
        }
        for port in boxed.ports.iter().filter(|p| !p.lines.is_empty()) {
            let p = port.rect;
            let _ = writeln!(
                out,
                "<rect class=\"port\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\" fill=\"#ffffff\" stroke=\"{stroke}\"/>",
                num(p.x),
                num(p.y),
                num(p.w),
                num(p.h)
            );
            let x = num(p.x + (p.w - CHAR_W * longest(&port.lines)) / 2.0);
            for (i, line) in port.lines.iter().enumerate() {
                let colour = if i == 0 { "#1a1a1a" } else { "#3b5e2b" };
                let _ = writeln!(
                    out,
                    "<text x=\"{x}\" y=\"{}\" fill=\"{colour}\" textLength=\"{}\" lengthAdjust=\"spacingAndGlyphs\">{}</text>",
                    num(p.y + 3.0 + LINE_H * (i as f64 + 1.0) - 3.5),
                    num(CHAR_W * line.chars().count() as f64),
                    escape(line)
                );
            }
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

/// A shaped edge's shape, written across the middle of its curve.
fn shape_labels(out: &mut String, layout: &Layout, topology: &Topology) {
    let labels: Vec<(f64, f64, String)> = layout
        .edges
        .iter()
        .zip(&topology.edges)
        .filter_map(|(line, edge)| {
            let label = edge.shape_label()?;
            let ((x1, y1), (x2, y2)) = (line.from, line.to);
            // The middle of the curve: halfway across, and down the dip of a loop.
            let y = if line.is_loop { y1.max(y2) + 0.75 * LOOP_DIP } else { (y1 + y2) / 2.0 };
            Some(((x1 + x2) / 2.0, y, label))
        })
        .collect();
    if labels.is_empty() {
        return;
    }
    out.push_str("<g class=\"shapes\" font-size=\"10\" fill=\"#8a2d2d\">\n");
    for (x, y, label) in labels {
        let width = CHAR_W * label.chars().count() as f64;
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\" rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.85\"/>",
            num(x - width / 2.0 - 3.0),
            num(y - 10.0),
            num(width + 6.0)
        );
        let _ = writeln!(
            out,
            "<text class=\"shape\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            num(x),
            num(y),
            escape(&label)
        );
    }
    out.push_str("</g>\n");
}

fn longest(lines: &[String]) -> f64 {
    lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64
}

#[cfg(test)]
mod tests {
    use super::super::layout::{layout, tests::star};
    use super::*;

    #[test]
    fn one_group_per_node_and_escaped_text() {
        let mut topology = star(10);
        topology.lab = "a<b>&'c\"".into();
        topology.nodes[2].label = "h<1>".into();
        let text = svg(&layout(&topology), &topology);
        let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
        let groups: Vec<roxmltree::Node> = doc
            .descendants()
            .filter(|n| n.has_tag_name("g") && n.attribute("class").is_some_and(|c| c.starts_with("node ")))
            .collect();
        assert_eq!(groups.len(), topology.nodes.len());
        let titles: Vec<&str> = groups
            .iter()
            .map(|g| g.children().find(|c| c.has_tag_name("title")).unwrap().text().unwrap())
            .collect();
        let ids: Vec<&str> = topology.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(titles, ids);
        assert!(doc.descendants().any(|n| n.text() == Some("h<1>")));
        assert!(doc.descendants().any(|n| n.text() == Some("lab a<b>&'c\"")));
        let edges =
            doc.descendants().filter(|n| n.attribute("class").is_some_and(|c| c.starts_with("edge ")));
        assert_eq!(edges.count(), topology.edges.len());
    }
}
