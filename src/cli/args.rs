use std::path::PathBuf;

use clap::Parser;

const EXAMPLES: &str = "\
Examples:
  netscript --sandbox scripts/veth-pair.rhai            run a lab in a private namespace
  netscript scripts/bridge-lab.rhai subnet=10.9.0.0/24  run a lab with a parameter
  sudo netscript lab.rhai hosts=4                       build a lab on this machine

Exit status: 0 success, 1 the script or an operation failed, 2 usage error.";

/// Linux network labs as scripts: namespaces, veth pairs, bridges,
/// addresses and routes, made in-process over netlink.
#[derive(Debug, Parser)]
#[command(name = "netscript", version, after_help = EXAMPLES)]
pub struct Args {
    /// Run in a private network and mount namespace; nothing outlives the process
    #[arg(long)]
    pub sandbox: bool,

    /// Print every change, as the `ip` command it stands for, before making it
    #[arg(short, long)]
    pub verbose: bool,

    /// The lab script to run
    pub script: Option<PathBuf>,

    /// Script parameters, read by the script with param("key", default)
    #[arg(value_name = "KEY=VALUE")]
    pub params: Vec<String>,
}
