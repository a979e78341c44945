//! Aligned tables: for maps (one row per key) and arrays of maps (one row
//! per map, one column per key), as `ip -br` would print them.

use rhai::{Dynamic, Map};

/// Keys that lead, in this order, when a table has them; others follow in
/// the map's own (alphabetical) order. What names a row comes first, the
/// index and MAC address last.
const LEADING: &[&str] = &[
    "name",
    "dev",
    "dst",
    "address",
    "kind",
    "family",
    "state",
    "up",
    "mtu",
    "via",
    "master",
    "peer",
    "addresses",
    "scope",
    "protocol",
    "metric",
];
const TRAILING: &[&str] = &["mac", "index"];

/// Columns padded to their widest cell, two spaces apart, no trailing blanks.
pub fn align(header: &[&str], rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).chain([header.len()]).max().unwrap_or(0);
    let mut widths: Vec<usize> =
        (0..columns).map(|i| header.get(i).map_or(0, |h| h.chars().count())).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let lines =
        std::iter::once(header.iter().map(|h| h.to_string()).collect::<Vec<_>>()).chain(rows.iter().cloned());
    for (i, cells) in lines.enumerate() {
        if i == 0 && header.is_empty() {
            continue;
        }
        let padded: Vec<String> =
            cells.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        out.push_str(padded.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// As `align`, for a terminal `width` columns wide: a row too wide for it
/// wraps its last column at word boundaries, each further line starting
/// at that column, so the columns stay columns.
pub fn align_to(header: &[&str], rows: &[Vec<String>], width: Option<usize>) -> String {
    let text = align(header, rows);
    let Some(width) = width else { return text };
    if text.lines().all(|line| line.chars().count() <= width) {
        return text;
    }
    let columns = rows.iter().map(Vec::len).chain([header.len()]).max().unwrap_or(0);
    if columns < 2 {
        return text;
    }
    // Where the last column starts: the widest of all the others, and gaps.
    let mut widths = vec![0; columns];
    for cells in
        std::iter::once(header.iter().map(|h| h.to_string()).collect::<Vec<_>>()).chain(rows.iter().cloned())
    {
        for (w, cell) in widths.iter_mut().zip(&cells) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let start: usize = widths[..columns - 1].iter().map(|w| w + 2).sum();
    let room = width.saturating_sub(start);
    if room < 16 {
        return text;
    }
    let mut out = String::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        if chars.len() <= width || chars.len() <= start {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let head: String = chars[..start].iter().collect();
        let last: String = chars[start..].iter().collect();
        let mut lines: Vec<String> = vec![String::new()];
        for word in last.split(' ') {
            let current = lines.last_mut().expect("one line");
            if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > room {
                lines.push(word.to_string());
            } else {
                if !current.is_empty() {
                    current.push(' ');
                }
                current.push_str(word);
            }
        }
        for (i, part) in lines.iter().enumerate() {
            let lead = if i == 0 { head.clone() } else { " ".repeat(start) };
            out.push_str(format!("{lead}{part}").trim_end());
            out.push('\n');
        }
    }
    out
}

/// A map as two columns, key and value, in the table order of its keys.
pub fn map(map: &Map, cell: &dyn Fn(&Dynamic) -> String) -> String {
    let rows: Vec<Vec<String>> =
        ordered_keys(&[map]).into_iter().map(|key| vec![key.clone(), cell(&map[key.as_str()])]).collect();
    align_to(&[], &rows, crate::cli::term::stdout_width())
}

/// Maps as rows under a header of their keys, upper-cased. A column that is
/// empty (unit) in every row is left out, and so are the `hidden` ones.
pub fn records(maps: &[&Map], hidden: &[&str], cell: &dyn Fn(&Dynamic) -> String) -> String {
    let keys: Vec<String> = ordered_keys(maps)
        .into_iter()
        .filter(|key| !hidden.contains(&key.as_str()))
        .filter(|key| maps.iter().any(|m| m.get(key.as_str()).is_some_and(|v| !v.is_unit())))
        .collect();
    let header: Vec<String> = keys.iter().map(|key| key.to_uppercase()).collect();
    let rows: Vec<Vec<String>> = maps
        .iter()
        .map(|m| keys.iter().map(|key| m.get(key.as_str()).map_or("-".into(), cell)).collect())
        .collect();
    align_to(&header.iter().map(String::as_str).collect::<Vec<_>>(), &rows, crate::cli::term::stdout_width())
}

fn ordered_keys(maps: &[&Map]) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for map in maps {
        for key in map.keys() {
            if !all.iter().any(|k| k == key.as_str()) {
                all.push(key.to_string());
            }
        }
    }
    let rank =
        |key: &str| match (LEADING.iter().position(|k| *k == key), TRAILING.iter().position(|k| *k == key)) {
            (Some(i), _) => i,
            (None, Some(i)) => LEADING.len() + 1 + i,
            (None, None) => LEADING.len(),
        };
    // A stable sort keeps the map's order among keys of one rank.
    all.sort_by_key(|key| rank(key));
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(value: &Dynamic) -> String {
        if value.is_unit() { "-".into() } else { value.to_string() }
    }

    fn link(name: &str, kind: &str, mtu: i64, master: Dynamic) -> Map {
        let mut map = Map::new();
        map.insert("name".into(), name.into());
        map.insert("kind".into(), kind.into());
        map.insert("mtu".into(), mtu.into());
        map.insert("index".into(), 7_i64.into());
        map.insert("master".into(), master);
        map.insert("zone".into(), "z".into());
        map
    }

    #[test]
    fn columns_line_up() {
        let out =
            align(&["A", "LONGER"], &[vec!["wide cell".into(), "x".into()], vec!["y".into(), "".into()]]);
        assert_eq!(out, "A          LONGER\nwide cell  x\ny\n");
    }

    #[test]
    fn arrays_of_maps_are_rows_with_the_name_first() {
        let lo = link("lo", "loopback", 65536, Dynamic::UNIT);
        let eth = link("eth0", "veth", 1500, Dynamic::UNIT);
        let out = records(&[&lo, &eth], &[], &plain);
        // `master` is unit everywhere: no column for it.
        assert_eq!(
            out,
            "NAME  KIND      MTU    ZONE  INDEX\n\
             lo    loopback  65536  z     7\n\
             eth0  veth      1500   z     7\n"
        );
        let port = link("v1", "veth", 1500, "br0".into());
        assert!(records(&[&lo, &port], &[], &plain).starts_with("NAME  KIND      MTU    MASTER"));
        assert!(
            records(&[&lo, &port], &["index", "zone"], &plain)
                .ends_with("MASTER\nlo    loopback  65536  -\nv1    veth      1500   br0\n")
        );
    }

    #[test]
    fn a_narrow_terminal_wraps_the_last_column_under_itself() {
        let rows = vec![
            vec!["eth0".to_string(), "10.0.0.11/24 fe80::f0b8:b5ff:fe5b:5e/64 fd00::11/64".to_string()],
            vec!["lo".to_string(), "127.0.0.1/8".to_string()],
        ];
        assert_eq!(
            align_to(&["NAME", "ADDRESSES"], &rows, Some(36)),
            "NAME  ADDRESSES\neth0  10.0.0.11/24\n      fe80::f0b8:b5ff:fe5b:5e/64\n      fd00::11/64\nlo    127.0.0.1/8\n"
        );
        assert_eq!(align_to(&["NAME", "ADDRESSES"], &rows, None), align(&["NAME", "ADDRESSES"], &rows));
    }

    #[test]
    fn a_map_is_keys_and_values() {
        let out = map(&link("eth0", "veth", 1500, Dynamic::UNIT), &plain);
        assert_eq!(out, "name    eth0\nkind    veth\nmtu     1500\nmaster  -\nzone    z\nindex   7\n");
    }
}
