//! `--dry-run`: run the script against a model of the network instead of the
//! kernel, printing the `ip`, `nft` and sysctl commands that would build the
//! same lab, in order, as a shell script. Needs no root; touches nothing.

mod links;
mod world;

pub use world::World;

/// The first lines of the printed script.
pub fn header(script: &str, lab: &str) -> String {
    format!(
        "#!/bin/bash\n# The commands netscript would run for {script} (lab '{lab}'), as a script.\n\
         # Run it as root; `netns $$` names the namespace this shell is in.\n\
         # The dry run checked each step as the kernel would where it can know the kernel's rules\n\
         # (names, addresses, routes, mtus, bridge ports, sysctl values, programs on PATH);\n\
         # what it could not check is noted where it comes.\nset -e\n"
    )
}
