use std::path::PathBuf;

use clap::{Parser, Subcommand};

const EXAMPLES: &str = "\
Examples:
  netscript --sandbox scripts/veth-pair.rhai            run a lab in a private namespace
  sudo netscript scripts/bridge-lab.rhai subnet=10.9.0.0/24
                                                        build a lab on this machine, with a parameter
  sudo netscript                                        an interactive session on lab 'repl'
  netscript ls                                          the labs that are up
  sudo netscript down bridge-lab                        remove everything that lab made
  sudo netscript graph bridge-lab -o lab.svg            draw a lab that is up (show: its state)
  netscript import tutorial.md -o lab.rhai              a tutorial's commands as a script

Exit status: 0 success, 1 the script or an operation failed, 2 usage error.";

/// Linux network labs as scripts: namespaces, veth pairs, bridges,
/// addresses, routes and NAT, made in-process over netlink.
#[derive(Debug, Parser)]
#[command(
    name = "netscript",
    version,
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Run in a private network and mount namespace; nothing outlives the process
    #[arg(long)]
    pub sandbox: bool,

    /// Print every change, as the `ip` command it stands for, before making it
    #[arg(short, long)]
    pub verbose: bool,

    /// Name of the lab (default: the script's file name without .rhai; "repl" for a session)
    #[arg(long, value_name = "NAME")]
    pub lab: Option<String>,

    /// On failure, keep what the run built instead of rolling it back
    #[arg(long)]
    pub keep: bool,

    /// Print the ip/nft commands that would build the lab, as a shell script; change nothing
    #[arg(long, conflicts_with_all = ["keep", "recreate"])]
    pub dry_run: bool,

    /// At the end, print where the time went, per kind of operation
    #[arg(long)]
    pub profile: bool,

    /// No progress line on a long run (there is one only on a terminal)
    #[arg(short, long)]
    pub quiet: bool,

    /// If the lab is up already, take it down first
    #[arg(long)]
    pub recreate: bool,

    /// Also in --sandbox, write the REPL's history (it is read either way)
    #[arg(long)]
    pub history: bool,

    /// The lab script to run; without one, an interactive session (or the
    /// statements on stdin, when it is not a terminal)
    pub script: Option<PathBuf>,

    /// Script parameters, read by the script with param("key", default)
    #[arg(value_name = "KEY=VALUE")]
    pub params: Vec<String>,
}

/// What `netscript graph` draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Picture {
    Dot,
    Mermaid,
    Svg,
    Png,
    Pdf,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Remove everything a lab made, newest first, and nothing else
    Down {
        /// Labs to take down
        #[arg(required_unless_present = "all", value_name = "LAB")]
        labs: Vec<String>,
        /// Take down every lab that is up
        #[arg(long, conflicts_with = "labs")]
        all: bool,
    },
    /// List the labs that are up, with what they hold
    Ls {
        /// Print JSON for programs
        #[arg(long)]
        json: bool,
    },
    /// Draw a lab as it is in the kernel: namespaces, bridges and the host,
    /// joined by veth pairs and bridge ports
    Graph {
        /// The lab, as `netscript ls` names it
        lab: String,
        /// dot (Graphviz), mermaid, svg (drawn by netscript itself), or png
        /// and pdf (drawn by Graphviz's dot); default: from the -o file's
        /// extension, else dot
        #[arg(short, long, value_enum)]
        format: Option<Picture>,
        /// Write to FILE instead of standard output
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Draw every namespace: runs of alike hosts on a bridge are not
        /// folded into one box
        #[arg(long)]
        all: bool,
    },
    /// Print each namespace of a lab with its links, addresses, routes,
    /// forwarding and firewall (NAT) rules, as the kernel has them
    Show {
        /// The lab, as `netscript ls` names it
        lab: String,
        /// Print JSON for programs (the shape is in the README)
        #[arg(long)]
        json: bool,
    },
    /// Turn a tutorial's shell commands into a netscript script that builds
    /// the same lab, with the tutorial's mistakes named and corrected
    Import {
        /// The tutorial, shell script or dry run to read; - for standard input
        file: PathBuf,
        /// Write the script to FILE instead of standard output
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Then build the original commands and the script, each in a sandbox
        /// of its own, and compare what they made (needs root)
        #[arg(long)]
        check: bool,
    },
    /// Print a completion script for a shell; it completes lab names too
    Completions {
        /// bash, zsh, fish, elvish or powershell
        #[arg(required_unless_present = "lab_names")]
        shell: Option<clap_complete::Shell>,
        /// The labs that are up, one a line: what the completion scripts offer
        #[arg(long, hide = true, conflicts_with = "shell")]
        lab_names: bool,
    },
    /// A lab's listener for probes to reach, as `listen()` in a script starts it
    #[command(hide = true)]
    Listen {
        /// tcp or udp
        proto: String,
        port: u16,
    },
    /// Print netscript's man page (roff), or a command's; read it with
    /// `netscript man | man -l -`
    Man {
        /// A command, for its own page (netscript-graph(1), ...)
        command: Option<String>,
    },
    /// Print this help, or a command's
    Help {
        /// A command, for its own help
        command: Option<String>,
    },
}
