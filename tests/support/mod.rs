pub mod sandbox;
pub mod state;
pub mod turns;
pub mod vm;

pub use sandbox::{Output, Sandbox, addresses_of, link_names, privileged};
pub use state::{DUMP, assert_same_state, normalize};

/// The path of a lab in scripts/.
pub fn script_path(name: &str) -> String {
    format!("{}/scripts/{name}.rhai", env!("CARGO_MANIFEST_DIR"))
}

/// The text of a lab in scripts/.
pub fn script_text(name: &str) -> String {
    std::fs::read_to_string(script_path(name)).unwrap()
}

/// One link of `ip -j link` output, by name.
pub fn link_named<'a>(links: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    links
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["ifname"] == name)
        .unwrap_or_else(|| panic!("no {name} in {links}"))
}
