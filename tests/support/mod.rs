pub mod sandbox;
pub mod state;
pub mod vm;

pub use sandbox::{Sandbox, addresses_of, link_names, privileged};
pub use state::{DUMP, assert_same_state, normalize};
