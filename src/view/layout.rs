//! A layered layout for the SVG picture. Nodes go in rows by their
//! distance from the host; each node is a box whose interfaces are cells
//! along its top edge (towards the row above) or its bottom edge. Labels
//! live in those cells, so they cannot overlap: cells sit side by side in
//! a node, nodes side by side in a row, and rows one under the other.
//! Text is monospace, so its width is known without font metrics.

use std::collections::HashMap;

use super::topology::{NodeKind, Topology};

pub const FONT_SIZE: f64 = 12.0;
/// The advance of a monospace glyph, a little over 0.6 em to be safe.
pub const CHAR_W: f64 = 7.4;
pub const LINE_H: f64 = 15.0;
pub const TITLE_SIZE: f64 = 13.0;
const TITLE_CHAR_W: f64 = 8.2;
const TITLE_H: f64 = 40.0;
const CELL_PAD: f64 = 6.0;
/// Width of an attachment point that carries no label.
const BARE_W: f64 = 16.0;
const CELL_GAP: f64 = 8.0;
const NODE_PAD: f64 = 10.0;
const NODE_GAP: f64 = 28.0;
const ROW_GAP: f64 = 70.0;
const COMPONENT_GAP: f64 = 56.0;
pub const MARGIN: f64 = 20.0;
/// How far the control points of a loop reach below its node.
pub const LOOP_DIP: f64 = 40.0;
/// Room for the lab's name above the picture.
pub const HEADER_H: f64 = 28.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    #[cfg(test)]
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x < other.x + other.w
            && other.x < self.x + self.w
            && self.y < other.y + other.h
            && other.y < self.y + self.h
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Top,
    Bottom,
}

/// An interface cell: where an edge meets its node, and the text there.
#[derive(Debug, Clone)]
pub struct Port {
    pub edge: usize,
    /// The node at the edge's other end.
    pub other: usize,
    pub side: Side,
    pub lines: Vec<String>,
    /// Relative to the node until the layout is done, then absolute.
    pub rect: Rect,
}

impl Port {
    /// Where the edge touches: the middle of the cell's outer side.
    pub fn anchor(&self) -> (f64, f64) {
        let y = match self.side {
            Side::Top => self.rect.y,
            Side::Bottom => self.rect.y + self.rect.h,
        };
        (self.rect.x + self.rect.w / 2.0, y)
    }
}

#[derive(Debug, Clone)]
pub struct NodeBox {
    pub rect: Rect,
    /// The band with the node's name and kind.
    pub title: Rect,
    pub ports: Vec<Port>,
}

#[derive(Debug, Clone)]
pub struct EdgeLine {
    pub from: (f64, f64),
    pub to: (f64, f64),
    /// Both ends on one node: drawn as a loop under it.
    pub is_loop: bool,
}

#[derive(Debug, Clone)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    /// One per topology node, in the same order.
    pub nodes: Vec<NodeBox>,
    /// One per topology edge, in the same order.
    pub edges: Vec<EdgeLine>,
}

fn text_width(lines: &[String], char_w: f64) -> f64 {
    lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64 * char_w
}

/// What a node's box says under its name: its note, or its kind.
pub fn kind_text(node: &super::topology::Node) -> String {
    node.note.clone().unwrap_or_else(|| kind_word(node.kind).to_string())
}

pub fn kind_word(kind: NodeKind) -> &'static str {
    match kind {
        // The host's name says it already.
        NodeKind::Host => "",
        NodeKind::Namespace => "namespace",
        NodeKind::Bridge => "bridge",
        NodeKind::Outside => "",
    }
}

/// Places boxes of `widths`, in order and at least `gap` apart, with their
/// left edges as near `desired` as can be (least squares): runs of boxes
/// that would overlap move as one block to the mean of their wishes.
pub fn place_row(desired: &[f64], widths: &[f64], gap: f64) -> Vec<f64> {
    struct Block {
        first: usize,
        last: usize,
        /// Sum over members of (desired left - offset in the block).
        sum: f64,
        count: f64,
    }
    let span = |b: &Block| widths[b.first..=b.last].iter().sum::<f64>() + gap * (b.last - b.first) as f64;
    let left = |b: &Block| b.sum / b.count;
    let mut blocks: Vec<Block> = Vec::new();
    for (i, &wanted) in desired.iter().enumerate() {
        blocks.push(Block { first: i, last: i, sum: wanted, count: 1.0 });
        while blocks.len() > 1 {
            let cur = &blocks[blocks.len() - 1];
            let prev = &blocks[blocks.len() - 2];
            if left(cur) >= left(prev) + span(prev) + gap {
                break;
            }
            let shift = span(prev) + gap;
            let cur = blocks.pop().expect("two blocks");
            let prev = blocks.last_mut().expect("two blocks");
            prev.sum += cur.sum - cur.count * shift;
            prev.count += cur.count;
            prev.last = cur.last;
        }
    }
    let mut lefts = Vec::with_capacity(desired.len());
    for block in &blocks {
        let mut x = left(block);
        for width in &widths[block.first..=block.last] {
            lefts.push(x);
            x += width + gap;
        }
    }
    lefts
}

/// Lays the topology out.
pub fn layout(topology: &Topology) -> Layout {
    let n = topology.nodes.len();
    let index: HashMap<&str, usize> =
        topology.nodes.iter().enumerate().map(|(i, node)| (node.id.as_str(), i)).collect();
    let ends: Vec<(usize, usize)> = topology
        .edges
        .iter()
        .map(|e| (index.get(e.a.node.as_str()).copied(), index.get(e.b.node.as_str()).copied()))
        .map(|(a, b)| (a.expect("edge to a known node"), b.expect("edge to a known node")))
        .collect();
    let mut neighbours: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in &ends {
        if a != b {
            neighbours[a].push(b);
            neighbours[b].push(a);
        }
    }

    // Rows: every edge goes from a row to a lower one, so ports face each other.
    let walk = topology.walk_order();
    let mut rank = vec![0; n];
    for (r, &v) in walk.iter().enumerate() {
        rank[v] = r;
    }
    let mut component = vec![usize::MAX; n];
    let mut components = 0;
    let mut row = vec![0usize; n];
    for &v in &walk {
        let earlier: Vec<usize> = neighbours[v].iter().copied().filter(|&u| rank[u] < rank[v]).collect();
        component[v] = match earlier.first() {
            Some(&u) => component[u],
            None => {
                components += 1;
                components - 1
            }
        };
        row[v] = earlier.iter().map(|&u| row[u] + 1).max().unwrap_or(0);
    }

    // Ports, and node sizes (which the order of ports does not change).
    let mut ports: Vec<Vec<Port>> = vec![Vec::new(); n];
    for (e, (edge, &(a, b))) in topology.edges.iter().zip(&ends).enumerate() {
        for (node, end, other) in [(a, &edge.a, b), (b, &edge.b, a)] {
            let side = if other != node && row[other] < row[node] { Side::Top } else { Side::Bottom };
            let lines = end.lines();
            let (w, h) = if lines.is_empty() {
                (BARE_W, 0.0)
            } else {
                (text_width(&lines, CHAR_W) + 2.0 * CELL_PAD, lines.len() as f64 * LINE_H + CELL_PAD)
            };
            ports[node].push(Port { edge: e, other, side, lines, rect: Rect { x: 0.0, y: 0.0, w, h } });
        }
    }
    let band = |ports: &[Port], side: Side| -> (f64, f64) {
        let cells: Vec<&Port> = ports.iter().filter(|p| p.side == side).collect();
        let width =
            cells.iter().map(|p| p.rect.w).sum::<f64>() + CELL_GAP * cells.len().saturating_sub(1) as f64;
        let height = cells.iter().map(|p| p.rect.h).fold(0.0, f64::max);
        (width, height)
    };
    let mut boxes: Vec<NodeBox> = topology
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let title_w = text_width(std::slice::from_ref(&node.label), TITLE_CHAR_W)
                .max(text_width(&[kind_text(node)], CHAR_W));
            let (top_w, top_h) = band(&ports[i], Side::Top);
            let (bottom_w, bottom_h) = band(&ports[i], Side::Bottom);
            let w = title_w.max(top_w).max(bottom_w) + 2.0 * NODE_PAD;
            NodeBox {
                rect: Rect { x: 0.0, y: 0.0, w, h: top_h + TITLE_H + bottom_h },
                title: Rect { x: 0.0, y: top_h, w, h: TITLE_H },
                ports: Vec::new(),
            }
        })
        .collect();

    let mut rows: Vec<Vec<Vec<usize>>> = vec![Vec::new(); components];
    for &v in &walk {
        let rows = &mut rows[component[v]];
        if rows.len() <= row[v] {
            rows.resize(row[v] + 1, Vec::new());
        }
        rows[row[v]].push(v);
    }
    let mut lefts = vec![0.0; n];
    let mut x0 = MARGIN;
    let mut height: f64 = 0.0;
    for rows in &mut rows {
        order_rows(rows, &neighbours);
        let mut pos = vec![0.0; n];
        for row in rows.iter() {
            for (i, &v) in row.iter().enumerate() {
                pos[v] = i as f64;
            }
        }
        // Cells face the nodes they lead to: sort them by where those are,
        // first by order in the row, then by place once there is one.
        arrange_ports(&mut ports, &pos, &boxes);
        for row in rows.iter() {
            let mut x = 0.0;
            for &v in row {
                lefts[v] = x;
                x += boxes[v].rect.w + NODE_GAP;
            }
        }
        for (down, order) in sweeps(rows.len()) {
            for r in order {
                let members = &rows[r];
                let desired: Vec<f64> =
                    members.iter().map(|&v| wish(v, down, &ports, &lefts, &row)).collect();
                let widths: Vec<f64> = members.iter().map(|&v| boxes[v].rect.w).collect();
                for (&v, x) in members.iter().zip(place_row(&desired, &widths, NODE_GAP)) {
                    lefts[v] = x;
                }
            }
            let centres: Vec<f64> = (0..n).map(|v| lefts[v] + boxes[v].rect.w / 2.0).collect();
            arrange_ports(&mut ports, &centres, &boxes);
        }
        let members: Vec<usize> = rows.iter().flatten().copied().collect();
        let min = members.iter().map(|&v| lefts[v]).fold(f64::INFINITY, f64::min);
        let max = members.iter().map(|&v| lefts[v] + boxes[v].rect.w).fold(f64::NEG_INFINITY, f64::max);
        for &v in &members {
            lefts[v] += x0 - min;
        }
        x0 += max - min + COMPONENT_GAP;
        let mut y = MARGIN + HEADER_H;
        for row in rows.iter() {
            let tallest = row.iter().map(|&v| boxes[v].rect.h).fold(0.0, f64::max);
            for &v in row {
                boxes[v].rect.y = y;
            }
            y += tallest + ROW_GAP;
        }
        height = height.max(y - ROW_GAP);
    }

    for (v, node) in boxes.iter_mut().enumerate() {
        node.rect.x = lefts[v];
        node.title.x = lefts[v];
        node.title.y += node.rect.y;
        for side in [Side::Top, Side::Bottom] {
            let (band_w, _) = band(&ports[v], side);
            let mut x = node.rect.x + (node.rect.w - band_w) / 2.0;
            for port in ports[v].iter_mut().filter(|p| p.side == side) {
                port.rect.x = x;
                port.rect.y = match side {
                    Side::Top => node.rect.y,
                    Side::Bottom => node.rect.y + node.rect.h - port.rect.h,
                };
                x += port.rect.w + CELL_GAP;
            }
        }
        node.ports = std::mem::take(&mut ports[v]);
    }
    let mut edges = Vec::with_capacity(ends.len());
    for (e, &(a, b)) in ends.iter().enumerate() {
        let anchor = |v: usize, skip: usize| {
            boxes[v].ports.iter().filter(|p| p.edge == e).nth(skip).map(Port::anchor).expect("a port per end")
        };
        let from = anchor(a, 0);
        let to = anchor(b, usize::from(a == b));
        edges.push(EdgeLine { from, to, is_loop: a == b });
    }
    let width = x0 - COMPONENT_GAP + MARGIN;
    // A loop dips under its node by 3/4 of LOOP_DIP.
    let loops = if edges.iter().any(|e| e.is_loop) { LOOP_DIP } else { 0.0 };
    Layout { width: width.max(2.0 * MARGIN + 200.0), height: height + MARGIN + loops, nodes: boxes, edges }
}

fn row_of(rows: &[Vec<usize>], n: usize) -> Vec<usize> {
    let mut of = vec![usize::MAX; n];
    for (r, row) in rows.iter().enumerate() {
        for &v in row {
            of[v] = r;
        }
    }
    of
}

/// The passes over the rows that both orderings make: four times down from
/// the second row, each followed by up from the next to last, with whether
/// the pass goes down.
fn sweeps(rows: usize) -> impl Iterator<Item = (bool, Vec<usize>)> {
    (0..4).flat_map(move |_| {
        [(true, (1..rows).collect()), (false, (0..rows.saturating_sub(1)).rev().collect())]
    })
}

/// Orders each row by the mean place of its neighbours in the row above,
/// then below, a few times over (the barycentre heuristic).
fn order_rows(rows: &mut [Vec<usize>], neighbours: &[Vec<usize>]) {
    let n = neighbours.len();
    for (down, order) in sweeps(rows.len()) {
        for r in order {
            let of = row_of(rows, n);
            let mut pos = vec![0.0; n];
            for row in rows.iter() {
                for (i, &v) in row.iter().enumerate() {
                    pos[v] = i as f64;
                }
            }
            let towards = if down { r.wrapping_sub(1) } else { r + 1 };
            let key = |v: usize| {
                let near: Vec<f64> =
                    neighbours[v].iter().filter(|&&u| of[u] == towards).map(|&u| pos[u]).collect();
                if near.is_empty() { pos[v] } else { near.iter().sum::<f64>() / near.len() as f64 }
            };
            let mut keyed: Vec<(f64, usize)> = rows[r].iter().map(|&v| (key(v), v)).collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            rows[r] = keyed.into_iter().map(|(_, v)| v).collect();
        }
    }
}

/// Sorts each node's cells by where the node at the other end is, and
/// gives them their offsets inside the node.
fn arrange_ports(ports: &mut [Vec<Port>], place: &[f64], boxes: &[NodeBox]) {
    for (v, cells) in ports.iter_mut().enumerate() {
        // A loop's cells go last, side by side.
        let key = |p: &Port| if p.other == v { f64::INFINITY } else { place[p.other] };
        cells.sort_by(|a, b| key(a).total_cmp(&key(b)).then(a.edge.cmp(&b.edge)));
        for side in [Side::Top, Side::Bottom] {
            let band_w =
                cells.iter().filter(|p| p.side == side).map(|p| p.rect.w + CELL_GAP).sum::<f64>() - CELL_GAP;
            let mut x = (boxes[v].rect.w - band_w.max(0.0)) / 2.0;
            for port in cells.iter_mut().filter(|p| p.side == side) {
                port.rect.x = x;
                x += port.rect.w + CELL_GAP;
            }
        }
    }
}

/// Where node `v` would like its left edge: its cells under (or over)
/// the cells they connect to in the rows above (or below).
fn wish(v: usize, down: bool, ports: &[Vec<Port>], lefts: &[f64], row: &[usize]) -> f64 {
    let mut wishes = Vec::new();
    for port in &ports[v] {
        let u = port.other;
        let toward = if down { row[u] < row[v] } else { row[u] > row[v] };
        if u == v || !toward {
            continue;
        }
        if let Some(their) = ports[u].iter().find(|p| p.edge == port.edge) {
            let their_x = lefts[u] + their.rect.x + their.rect.w / 2.0;
            wishes.push(their_x - (port.rect.x + port.rect.w / 2.0));
        }
    }
    if wishes.is_empty() { lefts[v] } else { wishes.iter().sum::<f64>() / wishes.len() as f64 }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::topology::{Edge, EdgeKind, End, Node};
    use super::*;

    fn end(node: &str, lines: &[&str]) -> End {
        End {
            node: node.into(),
            ifname: lines.first().map(|l| l.to_string()),
            addrs: lines.iter().skip(1).map(|l| l.to_string()).collect(),
            shape: None,
        }
    }

    /// The host, a bridge, and `hosts` namespaces on it.
    pub fn star(hosts: usize) -> Topology {
        let mut t = Topology { lab: "star".into(), ..Topology::default() };
        t.nodes.push(Node { id: "host".into(), kind: NodeKind::Host, label: "host".into(), note: None });
        t.nodes.push(Node { id: "host/br0".into(), kind: NodeKind::Bridge, label: "br0".into(), note: None });
        t.edges.push(Edge {
            kind: EdgeKind::Port,
            a: end("host", &["br0", "10.0.0.1/24"]),
            b: end("host/br0", &[]),
        });
        for i in 1..=hosts {
            let name = format!("h{i}");
            t.nodes.push(Node {
                id: name.clone(),
                kind: NodeKind::Namespace,
                label: name.clone(),
                note: None,
            });
            t.edges.push(Edge {
                kind: EdgeKind::Veth,
                a: end("host/br0", &[&format!("{name}-port")]),
                b: end(&name, &["eth0", &format!("10.0.0.{}/24", i + 10), "fd00::1:2:3:4/64"]),
            });
        }
        t
    }

    /// Every box with text in it: titles and labelled cells.
    fn text_boxes(layout: &Layout) -> Vec<Rect> {
        layout
            .nodes
            .iter()
            .flat_map(|n| {
                std::iter::once(n.title).chain(n.ports.iter().filter(|p| !p.lines.is_empty()).map(|p| p.rect))
            })
            .collect()
    }

    #[test]
    fn rows_follow_the_distance_from_the_host() {
        let layout = layout(&star(10));
        let (host, bridge, h1) = (layout.nodes[0].rect, layout.nodes[1].rect, layout.nodes[2].rect);
        assert!(host.y + host.h < bridge.y);
        assert!(bridge.y + bridge.h < h1.y);
        assert!(layout.nodes[2..].iter().all(|n| n.rect.y == h1.y));
    }

    #[test]
    fn nothing_overlaps_in_a_star_of_ten() {
        let layout = layout(&star(10));
        let boxes = text_boxes(&layout);
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                assert!(!a.overlaps(b), "{a:?} overlaps {b:?}");
            }
        }
        let nodes: Vec<Rect> = layout.nodes.iter().map(|n| n.rect).collect();
        for (i, a) in nodes.iter().enumerate() {
            for b in &nodes[i + 1..] {
                assert!(!a.overlaps(b), "{a:?} overlaps {b:?}");
            }
            assert!(a.x >= 0.0 && a.y >= 0.0 && a.x + a.w <= layout.width && a.y + a.h <= layout.height);
        }
        // Cells stay inside their node, and are wide enough for their text.
        for node in &layout.nodes {
            for port in &node.ports {
                let (p, r) = (port.rect, node.rect);
                assert!(p.x >= r.x && p.x + p.w <= r.x + r.w && p.y >= r.y && p.y + p.h <= r.y + r.h);
                let longest = port.lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
                assert!(p.w >= longest as f64 * CHAR_W);
            }
        }
    }

    #[test]
    fn edges_join_the_cells_of_their_ends() {
        let topology = star(3);
        let layout = layout(&topology);
        for (e, line) in layout.edges.iter().enumerate() {
            let a = topology.node_index(&topology.edges[e].a.node).unwrap();
            let b = topology.node_index(&topology.edges[e].b.node).unwrap();
            let cell = |v: usize| layout.nodes[v].ports.iter().find(|p| p.edge == e).unwrap().anchor();
            assert_eq!(line.from, cell(a));
            assert_eq!(line.to, cell(b));
        }
        // Under the bridge, h1..h3 go left to right as their cells do.
        let xs: Vec<f64> = layout.nodes[2..].iter().map(|n| n.rect.x).collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
    }

    #[test]
    fn place_row_keeps_order_and_gaps_and_centres_crowds() {
        // Three boxes that all want x=100 spread around it evenly.
        let lefts = place_row(&[100.0, 100.0, 100.0], &[10.0, 10.0, 10.0], 5.0);
        assert_eq!(lefts, [85.0, 100.0, 115.0]);
        // Boxes with room stay where they want to be.
        assert_eq!(place_row(&[0.0, 50.0], &[10.0, 10.0], 5.0), [0.0, 50.0]);
    }

    #[test]
    fn separate_parts_sit_side_by_side() {
        let mut t = Topology { lab: "two".into(), ..Topology::default() };
        for id in ["a", "b", "c", "d"] {
            t.nodes.push(Node { id: id.into(), kind: NodeKind::Namespace, label: id.into(), note: None });
        }
        for (a, b) in [("a", "b"), ("c", "d")] {
            t.edges.push(Edge { kind: EdgeKind::Veth, a: end(a, &["x"]), b: end(b, &["y"]) });
        }
        let layout = layout(&t);
        let r: Vec<Rect> = layout.nodes.iter().map(|n| n.rect).collect();
        assert!(r[0].y < r[1].y && r[2].y < r[3].y);
        assert!(r[1].x + r[1].w < r[2].x.min(r[3].x));
    }
}
