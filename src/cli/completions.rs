//! Completion scripts: clap's, from the same definitions as `--help`, with
//! lab names added where a command takes a lab (`down`, `show`, `graph`,
//! `--lab`). The names come from `netscript completions --lab-names` at the
//! moment of completing, so they are the labs that are up then.

use clap::CommandFactory;
use clap_complete::Shell;

use super::args::Args;

const LABS: &str = "netscript completions --lab-names 2>/dev/null";

/// The completion script for a shell.
pub fn script(shell: Shell) -> String {
    let mut command = Args::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "netscript", &mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    match shell {
        Shell::Bash => format!("{text}{BASH}"),
        Shell::Zsh => zsh(&text),
        Shell::Fish => format!("{text}{FISH}"),
        _ => text,
    }
}

/// Wraps clap's function: a lab's name where a command wants one.
const BASH: &str = r#"
# Lab names, for down, show, graph and --lab.
_netscript_labs() {
    _netscript "$@"
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" sub="" given=0 i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
            -o|--output|-f|--format) ((i++)) ;;
            -*) ;;
            *) if [[ -z "$sub" ]]; then sub="${COMP_WORDS[i]}"; else ((given++)); fi ;;
        esac
    done
    if [[ "$prev" == "--lab" ]] || { [[ "$cur" != -* && "$prev" != -o && "$prev" != --output && "$prev" != -f && "$prev" != --format ]] && { [[ "$sub" == down ]] || [[ ( "$sub" == show || "$sub" == graph ) && $given -eq 0 ]]; }; }; then
        COMPREPLY=( $(compgen -W "$(netscript completions --lab-names 2>/dev/null)" -- "$cur") )
    fi
}
complete -F _netscript_labs -o bashdefault -o default netscript
"#;

const FISH: &str = r#"
# Lab names, for down, show, graph and --lab.
complete -c netscript -n "__fish_netscript_using_subcommand down; or __fish_netscript_using_subcommand show; or __fish_netscript_using_subcommand graph" -f -a "(netscript completions --lab-names 2>/dev/null)"
complete -c netscript -n "__fish_netscript_needs_command" -l lab -x -a "(netscript completions --lab-names 2>/dev/null)"
"#;

/// clap's zsh function, with lab names where it would offer anything.
fn zsh(text: &str) -> String {
    let mut out = format!(
        "#compdef netscript\n\n# Lab names, for down, show, graph and --lab.\n_netscript_labs() {{\n    \
         local -a labs\n    labs=(${{(f)\"$({LABS})\"}})\n    compadd -a labs\n}}\n\n"
    );
    for line in text.lines() {
        let line = line.strip_prefix("#compdef netscript").map_or(line, |_| "");
        let takes_lab =
            line.starts_with("'*::labs -- ") || line.starts_with("':lab -- ") || line.starts_with("'--lab=[");
        if takes_lab {
            out.push_str(&line.replace(":_default'", ":_netscript_labs'"));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_arguments_complete_lab_names() {
        let zsh = script(Shell::Zsh);
        assert!(zsh.starts_with("#compdef netscript\n"), "{zsh}");
        assert_eq!(zsh.matches("#compdef").count(), 1);
        for spec in ["'*::labs -- ", "':lab -- ", "'--lab=["] {
            let line = zsh.lines().find(|l| l.starts_with(spec)).unwrap();
            assert!(line.contains(":_netscript_labs'"), "{line}");
        }
        assert!(script(Shell::Fish).contains("-l lab -x -a \"(netscript completions --lab-names"));
        assert!(script(Shell::Bash).contains("complete -F _netscript_labs"));
    }

    #[test]
    fn sandbox_only_where_it_means_something() {
        let bash = script(Shell::Bash);
        let opts = |cmd: &str| {
            let at = bash.find(&format!("        {cmd})\n")).unwrap();
            bash[at..].lines().nth(1).unwrap().to_string()
        };
        assert!(opts("netscript").contains("--sandbox"));
        for sub in ["down", "ls", "show", "graph"] {
            assert!(!opts(&format!("netscript__subcmd__{sub}")).contains("--sandbox"), "{sub}");
        }
    }
}
