pub mod sandbox;

pub use sandbox::{Sandbox, addresses_of, link_names, privileged};
