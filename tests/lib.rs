//! Integration tests: the built binary, run as a user would, inside a
//! sandbox, checked against iproute2's own view and real packets.

mod support;

mod addresses_and_routes;
mod bad_input;
mod bench;
mod cli;
mod connectivity;
mod dryrun;
mod equivalence;
mod lifecycle;
mod links;
mod namespaces;
mod nat;
mod repl;
mod scripts;
mod stdlib;
mod traffic;
// Apart from the list above, so branches that add tests merge cleanly.
mod firewall;
mod import;
mod kernel_matrix;
mod messages;
mod see;
mod shaping;
mod trust;
// Issue 18: nodes that run services.
mod bird;
mod dhcp;
mod frr;
mod nodes;
// Issue 16: link kinds, fdb, neighbours, policy routing.
mod link_errors;
mod link_kinds;
mod link_labs;
mod policy_routing;
