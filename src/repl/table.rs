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

/// A map as two columns, key and value, in the table order of its keys.
pub fn map(map: &Map, cell: &dyn Fn(&Dynamic) -> String) -> String {
    let rows: Vec<Vec<String>> =
        ordered_keys(&[map]).into_iter().map(|key| vec![key.clone(), cell(&map[key.as_str()])]).collect();
    align(&[], &rows)
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
    align(&header.iter().map(String::as_str).collect::<Vec<_>>(), &rows)
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
    fn a_map_is_keys_and_values() {
        let out = map(&link("eth0", "veth", 1500, Dynamic::UNIT), &plain);
        assert_eq!(out, "name    eth0\nkind    veth\nmtu     1500\nmaster  -\nzone    z\nindex   7\n");
    }
}
