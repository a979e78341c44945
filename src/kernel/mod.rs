//! The kernel backend: executes operations over netlink in any namespace.
//! It knows nothing of Rhai.

mod addrs;
mod backend;
mod error;
mod links;
pub mod netns;
mod routes;
pub mod sandbox;

pub use addrs::AddrInfo;
pub use backend::Kernel;
pub use links::LinkInfo;
pub use routes::RouteInfo;
