//! What netscript promises about the host, as a specification: each test is
//! one guarantee, tried the way an attacker or a careless user would.
//! `down` and rollback remove exactly what the lab made and nothing else;
//! the ledger is untrusted input; every wait ends, every signal rolls back.

mod firewall;
mod foreign;
mod identity;
mod locks;
mod services;
mod sharing;
mod signals;
mod state;
mod teardown;
