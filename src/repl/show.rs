//! How results print: strings plainly, maps and arrays of maps as tables,
//! handles (namespaces, addresses) as their `to_debug` says, `()` not at all.

use rhai::{Array, Dynamic, Engine, Map, Scope};

use super::table;

/// The text for a value an input returned; None for `()`.
pub fn result(engine: &Engine, value: &Dynamic) -> Option<String> {
    if value.is_unit() {
        return None;
    }
    if value.is_string() {
        return Some(format!("{value}\n"));
    }
    let cell = |value: &Dynamic| cell(engine, value);
    if let Some(map) = value.read_lock::<Map>() {
        return Some(if map.is_empty() { "#{}\n".into() } else { table::map(&map, &cell) });
    }
    if let Some(array) = value.read_lock::<Array>() {
        let maps: Vec<Map> =
            array.iter().filter_map(|item| item.read_lock::<Map>().map(|m| m.clone())).collect();
        if !array.is_empty() && maps.len() == array.len() {
            // Links as `ip -br link` shows them: link_show(dev) has the rest.
            let links = maps.iter().all(|m| m.contains_key("kind") && m.contains_key("mac"));
            let hidden: &[&str] = if links { &["index", "mac", "up"] } else { &[] };
            let maps: Vec<&Map> = maps.iter().collect();
            return Some(table::records(&maps, hidden, &cell));
        }
    }
    Some(format!("{}\n", literal(engine, value)))
}

/// A value as Rhai would write it: strings quoted, handles as their
/// `to_debug` (`namespace 'red'`, `cidr("10.0.0.1/24")`).
fn literal(engine: &Engine, value: &Dynamic) -> String {
    if let Some(array) = value.read_lock::<Array>() {
        let items: Vec<String> = array.iter().map(|item| literal(engine, item)).collect();
        return format!("[{}]", items.join(", "));
    }
    if is_handle(value) { call(engine, "to_debug", value) } else { format!("{value:?}") }
}

/// A value in a table cell: plain text, arrays as their items, `()` as `-`.
fn cell(engine: &Engine, value: &Dynamic) -> String {
    if value.is_unit() {
        return "-".into();
    }
    if let Some(array) = value.read_lock::<Array>() {
        let items: Vec<String> = array.iter().map(|item| cell(engine, item)).collect();
        return if items.is_empty() { "-".into() } else { items.join(" ") };
    }
    if is_handle(value) { call(engine, "to_string", value) } else { value.to_string() }
}

/// A value of a type netscript registered, which only the engine can print.
fn is_handle(value: &Dynamic) -> bool {
    !(value.is_unit()
        || value.is_bool()
        || value.is_int()
        || value.is_float()
        || value.is_char()
        || value.is_string()
        || value.is_array()
        || value.is_map()
        || value.is_blob()
        || value.is_fnptr())
}

/// Calls a conversion the API registered for the value's type.
fn call(engine: &Engine, function: &str, value: &Dynamic) -> String {
    let mut scope = Scope::new();
    scope.push("value", value.clone());
    engine
        .eval_with_scope::<String>(&mut scope, &format!("{function}(value)"))
        .unwrap_or_else(|_| value.type_name().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repl::testing::engine;

    fn show(script: &str) -> Option<String> {
        let engine = engine();
        result(&engine, &engine.eval::<Dynamic>(script).unwrap())
    }

    #[test]
    fn plain_values() {
        assert_eq!(show("()"), None);
        assert_eq!(show("\"text\"").as_deref(), Some("text\n"));
        assert_eq!(show("40 + 2").as_deref(), Some("42\n"));
        assert_eq!(show("[\"a\", 1]").as_deref(), Some("[\"a\", 1]\n"));
        assert_eq!(show("host()").as_deref(), Some("the host namespace\n"));
        assert_eq!(show("cidr(\"10.0.0.0/24\").host(5)").as_deref(), Some("cidr(\"10.0.0.5/24\")\n"));
        assert_eq!(
            show("cidr(\"10.0.0.0/24\").split(25)").as_deref(),
            Some("[cidr(\"10.0.0.0/25\"), cidr(\"10.0.0.128/25\")]\n")
        );
    }

    #[test]
    fn maps_are_tables() {
        assert_eq!(
            show("#{ip: cidr(\"10.0.0.1/24\"), up: true, peers: [host(), 2]}").as_deref(),
            Some("up     true\nip     10.0.0.1/24\npeers  host 2\n")
        );
        assert_eq!(
            show("[#{name: \"a\", mtu: 1500}, #{name: \"bb\", mtu: 9000, master: ()}]").as_deref(),
            Some("NAME  MTU\na     1500\nbb    9000\n")
        );
        assert_eq!(show("#{}").as_deref(), Some("#{}\n"));
    }
}
