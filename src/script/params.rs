//! Script parameters: `key=value` words on the command line, read by the
//! script with `param("key", default)` and converted to the default's type.

use std::collections::BTreeMap;

use rhai::Dynamic;

use super::scan::{Mode, Scanner};

#[derive(Debug, Default)]
pub struct Params {
    given: BTreeMap<String, String>,
    /// Names the script asked for, in the order it first asked.
    asked: Vec<String>,
}

impl Params {
    /// Parses `key=value` words; anything else is a usage error.
    pub fn parse<S: AsRef<str>>(words: &[S]) -> Result<Params, String> {
        let mut given = BTreeMap::new();
        for word in words {
            let word = word.as_ref();
            let Some((key, value)) = word.split_once('=') else {
                return Err(format!("'{word}' is not a parameter; parameters are written key=value"));
            };
            let valid =
                !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !valid {
                return Err(format!("'{key}' is not a parameter name (letters, digits, '_' and '-' only)"));
            }
            if given.insert(key.to_string(), value.to_string()).is_some() {
                return Err(format!("parameter '{key}' is given twice"));
            }
        }
        Ok(Params { given, asked: Vec::new() })
    }

    fn note_asked(&mut self, name: &str) {
        if !self.asked.iter().any(|asked| asked == name) {
            self.asked.push(name.to_string());
        }
    }

    /// The value of a parameter, converted to the type of its default.
    pub fn get(&mut self, name: &str, default: Dynamic) -> Result<Dynamic, String> {
        self.note_asked(name);
        let Some(text) = self.given.get(name) else {
            return Ok(default);
        };
        convert(name, text, &default)
    }

    /// The text given for a parameter, if any; the script reads it.
    pub fn given(&mut self, name: &str) -> Option<String> {
        self.note_asked(name);
        self.given.get(name).cloned()
    }

    /// The value of a parameter the script cannot do without.
    pub fn require(&mut self, name: &str) -> Result<Dynamic, String> {
        self.note_asked(name);
        match self.given.get(name) {
            Some(text) => Ok(Dynamic::from(text.clone())),
            None => {
                Err(format!("this script needs the parameter '{name}': add {name}=VALUE to the command line"))
            }
        }
    }

    /// Given on the command line but never read by the script: a typo, most
    /// likely. Checked after the run, which knows what the script read.
    pub fn check_all_used(&self) -> Result<(), String> {
        unknown(&self.given, &self.asked)
    }

    /// The same check before the run, from the `param("...")` calls in the
    /// script's text, so that a typo costs no build and rollback. Passes
    /// when the text does not say for sure what the script reads.
    pub fn check_before_run(&self, text: &str) -> Result<(), String> {
        match read_by(text) {
            Some(reads) => unknown(&self.given, &reads),
            None => Ok(()),
        }
    }
}

fn unknown(given: &BTreeMap<String, String>, reads: &[String]) -> Result<(), String> {
    let unknown: Vec<&str> = given.keys().filter(|key| !reads.contains(key)).map(String::as_str).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let reads_text = if reads.is_empty() {
        "the script reads no parameters".to_string()
    } else {
        format!("the script reads: {}", reads.join(", "))
    };
    let noun = if unknown.len() == 1 { "parameter" } else { "parameters" };
    let names = unknown
        .iter()
        .map(|name| {
            let near = super::forms::closest(name, reads.iter().map(String::as_str));
            match near.first() {
                Some(near) => format!("'{name}' (did you mean {near}?)"),
                None => format!("'{name}'"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    Err(format!("unknown {noun} {names}; {reads_text}"))
}

/// The names a script's `param("NAME", ...)` calls read, in the order they
/// first appear; None when that cannot be known from the text: a name that
/// is not a plain string, `param` used otherwise, an `eval`, or a module of
/// the user's, which may read parameters itself.
pub fn read_by(text: &str) -> Option<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    let mut scanner = Scanner::new(text);
    let mut word = String::new();
    // After `param`: waiting for `(`, then for the string, then for `,` or `)`.
    let mut state = 0;
    let mut literal = String::new();
    while let Some(step) = scanner.step() {
        let in_string = matches!(scanner.mode, Mode::Str { .. });
        match state {
            1 if step.code && step.ch.is_whitespace() => continue,
            1 if step.code && step.ch == '(' => {
                state = 2;
                continue;
            }
            1 => return None,
            2 if step.code && step.ch.is_whitespace() => continue,
            2 if !step.code && in_string => {
                state = 3;
                literal.clear();
                continue;
            }
            2 => return None,
            3 if in_string => {
                if step.ch == '\\' || step.ch == '$' {
                    return None;
                }
                literal.push(step.ch);
                continue;
            }
            3 => {
                // The closing quote.
                state = 4;
                continue;
            }
            4 if step.code && step.ch.is_whitespace() => continue,
            4 if step.code && (step.ch == ',' || step.ch == ')') => {
                if !names.contains(&literal) {
                    names.push(literal.clone());
                }
                state = 0;
                continue;
            }
            4 => return None,
            _ => {}
        }
        if step.code && (step.ch.is_alphanumeric() || step.ch == '_') {
            word.push(step.ch);
            continue;
        }
        let ended = std::mem::take(&mut word);
        match ended.as_str() {
            "param" => {
                state = 1;
                if step.code && step.ch == '(' {
                    state = 2;
                } else if !(step.code && step.ch.is_whitespace()) {
                    return None;
                }
            }
            "eval" => return None,
            "import" if !imports_stdlib(&text[step.at..]) => return None,
            _ => {}
        }
    }
    if word == "param" || state != 0 {
        return None;
    }
    Some(names)
}

/// Whether the import whose path starts `rest` names a module of the
/// standard library (which reads no parameters).
fn imports_stdlib(rest: &str) -> bool {
    let rest = rest.trim_start();
    let Some(rest) = rest.strip_prefix('"') else { return false };
    let name = rest.split('"').next().unwrap_or_default();
    super::stdlib::MODULES.iter().any(|(module, _)| *module == name)
}

fn convert(name: &str, text: &str, default: &Dynamic) -> Result<Dynamic, String> {
    let wrong = |what: &str| {
        format!("parameter {name}={text}: expected {what} (like the default, {default}), not '{text}'")
    };
    if default.is_int() {
        text.trim().parse::<i64>().map(Dynamic::from).map_err(|_| wrong("a whole number"))
    } else if default.is_float() {
        text.trim().parse::<f64>().map(Dynamic::from).map_err(|_| wrong("a number"))
    } else if default.is_bool() {
        match text.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(Dynamic::TRUE),
            "false" | "no" | "off" | "0" => Ok(Dynamic::FALSE),
            _ => Err(wrong("true or false")),
        }
    } else {
        Ok(Dynamic::from(text.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_to_the_type_of_the_default() {
        let mut params = Params::parse(&["hosts=4", "ratio=0.5", "check=yes", "subnet=10.1.0.0/16"]).unwrap();
        assert_eq!(params.get("hosts", Dynamic::from(2_i64)).unwrap().as_int().unwrap(), 4);
        assert_eq!(params.get("ratio", Dynamic::from(1.0_f64)).unwrap().as_float().unwrap(), 0.5);
        assert!(params.get("check", Dynamic::FALSE).unwrap().as_bool().unwrap());
        assert_eq!(params.get("subnet", Dynamic::from("x")).unwrap().into_string().unwrap(), "10.1.0.0/16");
        assert_eq!(params.get("missing", Dynamic::from(7_i64)).unwrap().as_int().unwrap(), 7);
        assert!(params.check_all_used().is_ok());
    }

    #[test]
    fn a_value_that_does_not_convert_is_an_error() {
        let mut params = Params::parse(&["hosts=four"]).unwrap();
        assert_eq!(
            params.get("hosts", Dynamic::from(2_i64)).unwrap_err(),
            "parameter hosts=four: expected a whole number (like the default, 2), not 'four'"
        );
        let mut params = Params::parse(&["check=maybe"]).unwrap();
        assert!(params.get("check", Dynamic::FALSE).unwrap_err().contains("true or false"));
    }

    #[test]
    fn unknown_parameters_are_named_with_what_the_script_reads() {
        let mut params = Params::parse(&["hots=3"]).unwrap();
        let _ = params.get("hosts", Dynamic::from(2_i64)).unwrap();
        let _ = params.get("subnet", Dynamic::from("10.0.0.0/24")).unwrap();
        assert_eq!(
            params.check_all_used().unwrap_err(),
            "unknown parameter 'hots' (did you mean hosts?); the script reads: hosts, subnet"
        );
    }

    #[test]
    fn the_text_says_what_a_script_reads() {
        let text = "import \"topo\" as topo;\nlet n = param(\"hosts\", 4);\n// param(\"old\", 1)\n\
                    let s = param( \"subnet\" , \"10.0.0.0/24\");\nlet again = param(\"hosts\", 2);\n\
                    print(\"param(x)\");\nlet u = param(\"uplink\", || host().uplink());";
        assert_eq!(read_by(text).unwrap(), ["hosts", "subnet", "uplink"]);
        assert_eq!(read_by("let x = 1;").unwrap(), Vec::<String>::new());
        // Not sure: a computed name, param as a value, eval, a module of one's own.
        assert_eq!(read_by("let k = \"a\"; param(k, 1);"), None);
        assert_eq!(read_by("let f = param; f(\"a\", 1);"), None);
        assert_eq!(read_by("param(`h${1}`, 1);"), None);
        assert_eq!(read_by("eval(\"param(\\\"a\\\", 1)\");"), None);
        assert_eq!(read_by("import \"mine\" as m; param(\"a\", 1);"), None);

        let params = Params::parse(&["hots=3", "subnet=10.1.0.0/16"]).unwrap();
        assert_eq!(
            params.check_before_run(text).unwrap_err(),
            "unknown parameter 'hots' (did you mean hosts?); the script reads: hosts, subnet, uplink"
        );
        assert!(params.check_before_run("let k = \"a\"; param(k, 1);").is_ok());
    }

    #[test]
    fn malformed_words_are_usage_errors() {
        assert!(Params::parse(&["hosts"]).unwrap_err().contains("key=value"));
        assert!(Params::parse(&["=3"]).is_err());
        assert!(Params::parse(&["a=1", "a=2"]).unwrap_err().contains("twice"));
        // A value may hold '='.
        let mut params = Params::parse(&["opt=a=b"]).unwrap();
        assert_eq!(params.get("opt", Dynamic::from("")).unwrap().into_string().unwrap(), "a=b");
    }

    #[test]
    fn required_parameters() {
        let mut params = Params::parse::<&str>(&[]).unwrap();
        assert!(params.require("uplink").unwrap_err().contains("uplink=VALUE"));
    }
}
