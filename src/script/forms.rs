//! The forms a function can be called in, in script terms (`bridge_add(name:
//! string)`, `ns.bridge_add(name: string)`), and what to say when a call
//! matches none: the closest names, or which argument is wrong and why.
//!
//! The API's forms come from the engine (each function is registered with
//! the names and terms of its parameters); the standard library's and the
//! script's own from their text.

use std::cell::RefCell;
use std::rc::Rc;

use rhai::Engine;

use super::scan::Scanner;
use super::stdlib::MODULES;

/// A parameter's name and type as a script sees them, for the registration
/// of a function (`"name: string"`). A `Dynamic` takes several types: its
/// name alone says what it is.
pub fn param(name: &str, rust_type: &str) -> String {
    match term_of_rust(rust_type) {
        Some(term) => format!("{name}: {term}"),
        None => name.to_string(),
    }
}

fn term_of_rust(rust_type: &str) -> Option<&'static str> {
    Some(match rust_type.trim_start_matches("&mut ").trim() {
        "&str" | "String" | "ImmutableString" => "string",
        "i64" | "INT" => "int",
        "f64" | "FLOAT" => "float",
        "bool" => "bool",
        "Map" => "map",
        "Array" => "array",
        "Netns" => "namespace",
        "Cidr" => "Cidr",
        _ => return None,
    })
}

/// The type of an argument as Rhai names it in a failed call, in the terms
/// of the parameters.
fn term_of_arg(rhai_type: &str) -> String {
    match rhai_type.trim() {
        "&str | ImmutableString | String" | "string" | "&str" | "String" | "ImmutableString" => "string",
        "i64" => "int",
        "f64" => "float",
        "Netns" => "namespace",
        "Fn" => "function",
        "()" => "()",
        other => return other.to_string(),
    }
    .to_string()
}

/// "a string", "an int", ... for a term.
fn article(term: &str) -> String {
    match term {
        "()" => "() (nothing)".to_string(),
        "int" | "array" => format!("an {term}"),
        other => format!("a {other}"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    /// None: it takes more than one type.
    pub term: Option<String>,
}

impl Param {
    fn accepts(&self, arg: &str) -> bool {
        self.term.as_deref().is_none_or(|term| term == arg)
    }

    fn show(&self) -> String {
        match &self.term {
            Some(term) => format!("{}: {term}", self.name),
            None => self.name.clone(),
        }
    }
}

/// One way to call a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub name: String,
    pub params: Vec<Param>,
}

impl Form {
    /// A signature as the engine writes it: `link_up(ns: namespace, dev: string) -> ...`.
    fn parse(signature: &str) -> Option<Form> {
        let (name, rest) = signature.split_once('(')?;
        let inside = &rest[..rest.find(')')?];
        let params = inside
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once(':') {
                Some((name, term)) => Param { name: name.trim().into(), term: Some(term.trim().into()) },
                None => Param { name: p.into(), term: None },
            })
            .collect();
        Some(Form { name: name.trim().to_string(), params })
    }

    /// As a call names its arguments: `veth_add(ns: namespace, name: string)`.
    fn show_plain(&self) -> String {
        let params: Vec<String> = self.params.iter().map(Param::show).collect();
        format!("{}({})", self.name, params.join(", "))
    }

    /// As a script writes a call: a namespace first becomes the receiver.
    pub fn show(&self) -> String {
        match self.params.split_first() {
            Some((first, rest)) if first.term.as_deref() == Some("namespace") => {
                let rest: Vec<String> = rest.iter().map(Param::show).collect();
                format!("{}.{}({})", first.name, self.name, rest.join(", "))
            }
            Some((first, rest)) if first.term.as_deref() == Some("Cidr") => {
                let rest: Vec<String> = rest.iter().map(Param::show).collect();
                format!("c.{}({})", self.name, rest.join(", "))
            }
            _ => self.show_plain(),
        }
    }
}

/// What a session or run knows it can call.
#[derive(Debug, Default)]
struct Known {
    /// The API's functions, in every form.
    api: Vec<Form>,
    /// Rhai's own functions (string, array and map methods, ...), by name.
    builtin: Vec<String>,
    /// The properties of netscript's types: (type, property).
    properties: Vec<(String, String)>,
}

thread_local! {
    static KNOWN: RefCell<Option<Rc<Known>>> = const { RefCell::new(None) };
}

/// Notes what `engine` can call, for the messages of failed calls.
pub fn remember(engine: &Engine) {
    let mut api: Vec<Form> = engine
        .gen_fn_signatures(false)
        .iter()
        .filter_map(|signature| Form::parse(signature))
        .filter(|form| plain_name(&form.name) && !matches!(form.name.as_str(), "to_string" | "to_debug"))
        .collect();
    // Each name's forms shortest first: the host's before the namespace's.
    // Ties (a namespace form and one with options) in a fixed order.
    api.sort_by_cached_key(|f| (f.name.clone(), f.params.len(), f.show()));
    let mut builtin: Vec<String> = engine
        .gen_fn_signatures(true)
        .iter()
        .filter_map(|signature| Form::parse(signature))
        .map(|form| form.name)
        .filter(|name| plain_name(name) && !api.iter().any(|form| &form.name == name))
        .collect();
    builtin.sort();
    builtin.dedup();
    let properties = engine
        .gen_fn_signatures(false)
        .iter()
        .filter_map(|signature| {
            let (name, rest) = signature.strip_prefix("get$")?.split_once('(')?;
            let ty = rest.split_once(':')?.1.split(')').next()?.trim().trim_start_matches("&mut ").trim();
            Some((ty.to_string(), name.to_string()))
        })
        .collect();
    KNOWN.with(|known| *known.borrow_mut() = Some(Rc::new(Known { api, builtin, properties })));
}

/// The forms of an API function as a script writes them.
pub fn shown_forms(name: &str) -> Vec<String> {
    known().api.iter().filter(|f| f.name == name).map(Form::show).collect()
}

fn known() -> Rc<Known> {
    KNOWN.with(|known| known.borrow().clone()).unwrap_or_default()
}

fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with("get$")
        && !name.starts_with("set$")
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The public functions of the standard library, named `module::function`.
fn stdlib_forms() -> Vec<Form> {
    // With the limits scripts run under, which the stdlib is written to.
    let mut engine = Engine::new_raw();
    super::set_limits(&mut engine);
    let mut forms = Vec::new();
    for (module, text) in MODULES {
        let Ok(ast) = engine.compile(text) else { continue };
        for function in ast.iter_functions() {
            // A closure is a public function of its own, named anon$...
            if function.access == rhai::FnAccess::Public && !function.name.starts_with("anon$") {
                forms.push(Form {
                    name: format!("{module}::{}", function.name),
                    params: function
                        .params
                        .iter()
                        .map(|p| Param { name: p.to_string(), term: None })
                        .collect(),
                });
            }
        }
    }
    forms
}

/// The functions a script defines itself.
fn script_forms(text: &str) -> Vec<Form> {
    let Ok(ast) = Engine::new_raw().compile(text) else { return Vec::new() };
    ast.iter_functions()
        .map(|function| Form {
            name: function.name.to_string(),
            params: function.params.iter().map(|p| Param { name: p.to_string(), term: None }).collect(),
        })
        .collect()
}

/// Names netscript does not have, with what to do instead: features it
/// lacks, and the names other tools give to what it calls otherwise.
const ABSENT: &[(&[&str], &str)] = &[
    (
        &["ipvlan_add", "ipvlan"],
        "ipvlan links are not in netscript's API yet; macvlan_add(name, parent) is the nearest, and \
         `ns.exec(\"ip link add ... type ipvlan\")` makes one, but rollback and `netscript down` will not know of it",
    ),
    (
        &["wg_add", "wg"],
        "WireGuard links are made by wireguard_add(name, #{private_key, listen_port, peers})",
    ),
    (
        &["neighbour_add", "neighbor_add", "arp_add"],
        "neighbour entries are made by neigh_add(dev, ip, #{lladdr})",
    ),
    (
        &["link_set_mac", "link_set_address", "link_set_addr", "link_set_alias"],
        "link settings (mac, alias, txqueuelen, promisc, arp, group) are set by link_set(dev, #{mac: ...})",
    ),
    (&["route_add_table"], "a route goes into another table with route_add(prefix, #{via, table})"),
    (
        &["iptables", "nft", "firewall_add", "dnat"],
        "firewall rules are rule_add(chain, #{...}) or rule_add(chain, \"nft expression\"); DNAT is port_forward(port, to)",
    ),
];

/// Edit distance (insertions, deletions, substitutions, swaps of neighbours).
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1).min(rows[i][j - 1] + 1).min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

/// The names nearest to `name`, nearest first: a few, and only near ones.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let most = match name.chars().count() {
        0..=3 => 1,
        4..=8 => 2,
        _ => 3,
    };
    let mut near: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|candidate| (distance(name, candidate), candidate))
        .filter(|(d, _)| *d <= most)
        .collect();
    near.sort();
    near.dedup_by(|a, b| a.1 == b.1);
    let Some(&(best, _)) = near.first() else { return Vec::new() };
    near.into_iter().filter(|(d, _)| *d <= best + 1).take(3).map(|(_, name)| name).collect()
}

/// `closest`, where candidates of a lower rank go first at the same distance.
fn closest_ranked(name: &str, candidates: &[(usize, String)]) -> Vec<String> {
    let near = closest(name, candidates.iter().map(|(_, n)| n.as_str()));
    let best = near.first().map(|n| distance(name, n));
    let mut near: Vec<(usize, usize, String)> = near
        .into_iter()
        .map(|n| {
            let rank = candidates.iter().filter(|(_, c)| c == n).map(|(r, _)| *r).min().unwrap_or(0);
            (distance(name, n), rank, n.to_string())
        })
        .collect();
    near.sort();
    // Rhai's own functions only when nothing of netscript's is as near.
    if let Some(best) = best
        && near.iter().any(|(d, rank, _)| *d == best && *rank < 2)
    {
        near.retain(|(_, rank, _)| *rank < 2);
    }
    near.into_iter().map(|(_, _, n)| n).collect()
}

/// What a failed call (`Function not found: NAME (TYPES)`) gets said about
/// it: a message, the argument to point at (an index into the call's
/// arguments, receiver first), and notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    pub message: String,
    pub at: Point,
    pub notes: Vec<String>,
}

/// Where the caret goes in a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    Name,
    Arg(usize),
    /// The closing bracket: arguments are missing.
    End,
}

/// A failed call's name and argument types, from Rhai's signature text.
fn parse_call(signature: &str) -> (String, Vec<String>) {
    let (name, types) = match signature.split_once(" (") {
        Some((name, rest)) => (name, rest.strip_suffix(')').unwrap_or(rest)),
        None => (signature, ""),
    };
    let args = if types.trim().is_empty() {
        Vec::new()
    } else {
        // Types hold no commas but between arguments.
        types.split(", ").map(term_of_arg).collect()
    };
    (name.trim().to_string(), args)
}

fn list(words: &[String], last: &str) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., tail] => format!("{} {last} {tail}", init.join(", ")),
    }
}

/// Argument types in words, runs of one type counted: "two strings, an int".
fn runs(args: &[String]) -> Vec<String> {
    const NUMBERS: [&str; 9] = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let run = args[i..].iter().take_while(|a| **a == args[i]).count();
        out.push(match (run, NUMBERS.get(run.wrapping_sub(2))) {
            (1, _) => article(&args[i]),
            (_, Some(number)) if args[i] != "()" => format!("{number} {}s", args[i]),
            _ => (0..run).map(|_| article(&args[i])).collect::<Vec<_>>().join(", "),
        });
        i += run;
    }
    out
}

fn described(args: &[String]) -> String {
    if args.is_empty() { "no arguments".to_string() } else { runs(args).join(", ") }
}

fn forms_note(forms: &[&Form]) -> Option<String> {
    let name = &forms.first()?.name;
    let shown: Vec<String> = forms.iter().map(|f| f.show()).collect();
    Some(format!("{name}: {}", shown.join(", or ")))
}

/// Explains a call that matched no function. `method` says whether it was
/// written as `x.name(...)` (its receiver is the first argument); `script`
/// is the text of the script, for the functions it defines.
pub fn explain(signature: &str, method: bool, script: &str) -> Explained {
    let (name, args) = parse_call(signature);
    let known = known();
    let mut forms: Vec<Form> = known.api.clone();
    forms.extend(stdlib_forms());
    forms.extend(script_forms(script));
    // Each name's forms shortest first, the API's before the others.
    let api_count = known.api.len();
    let (api, mut rest) = (forms[..api_count].to_vec(), forms[api_count..].to_vec());
    rest.sort_by(|a, b| (&a.name, a.params.len()).cmp(&(&b.name, b.params.len())));
    let forms: Vec<Form> = api.into_iter().chain(rest).collect();
    // `t::star` for a module imported as t: the stdlib's forms by their tail.
    let (prefix, tail) = match name.rsplit_once("::") {
        Some((prefix, tail)) => (Some(prefix), tail),
        None => (None, name.as_str()),
    };
    let same: Vec<&Form> = forms
        .iter()
        .filter(|form| match (prefix, form.name.rsplit_once("::")) {
            (Some(_), Some((_, form_tail))) => form_tail == tail,
            (None, None) => form.name == name,
            _ => false,
        })
        .collect();
    if same.is_empty() {
        return unknown(&name, known.api.len(), prefix, tail, &args, &forms, &known.builtin);
    }
    wrong_arguments(&name, &args, method, &same)
}

fn unknown(
    name: &str,
    api_count: usize,
    prefix: Option<&str>,
    tail: &str,
    args: &[String],
    forms: &[Form],
    builtin: &[String],
) -> Explained {
    let called = if args.is_empty() { String::new() } else { format!(" (called with {})", described(args)) };
    if let Some((_, why)) = ABSENT.iter().find(|(names, _)| names.contains(&tail)) {
        return Explained {
            message: format!("netscript has no function {name}{called}: {why}"),
            at: Point::Name,
            notes: Vec::new(),
        };
    }
    // The stdlib's function called without its module.
    if prefix.is_none()
        && let Some(form) = forms.iter().find(|f| f.name.rsplit_once("::").is_some_and(|(_, t)| t == tail))
    {
        let module = form.name.split("::").next().unwrap_or_default();
        return Explained {
            message: format!(
                "no function {name}{called}: it is {}, in the standard library's module {module}; \
                 import it first: import \"{module}\" as {module};",
                form.name
            ),
            at: Point::Name,
            notes: forms_note(&forms.iter().filter(|f| f.name == form.name).collect::<Vec<_>>())
                .into_iter()
                .collect(),
        };
    }
    // Nearest first; at the same distance the script's own functions, then
    // the API's, then Rhai's.
    let names: Vec<(usize, String)> = match prefix {
        // Within the module it names: `t::strr` -> `t::star`.
        Some(prefix) => forms
            .iter()
            .filter_map(|f| f.name.rsplit_once("::").map(|(_, t)| (0, format!("{prefix}::{t}"))))
            .collect(),
        None => forms
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.name.contains("::"))
            .map(|(i, f)| (usize::from(i < api_count), f.name.clone()))
            .chain(builtin.iter().map(|name| (2, name.clone())))
            .collect(),
    };
    let near: Vec<String> = closest_ranked(name, &names);
    let message = if near.is_empty() {
        let modules: Vec<&str> = MODULES.iter().map(|(module, _)| *module).collect();
        format!(
            "no function {name}{called}: netscript's API, its standard library ({}) \
             and this script have none of that name",
            modules.join(", ")
        )
    } else {
        format!("no function {name}{called}; did you mean {}?", list(&near, "or"))
    };
    let notes = near
        .iter()
        .filter_map(|n| {
            let tail = n.rsplit_once("::").map_or(n.as_str(), |(_, t)| t);
            let matching: Vec<&Form> = forms
                .iter()
                .filter(|f| f.name == *n || (n.contains("::") && f.name.ends_with(&format!("::{tail}"))))
                .collect();
            forms_note(&matching)
        })
        .collect();
    Explained { message, at: Point::Name, notes }
}

fn wrong_arguments(name: &str, args: &[String], method: bool, same: &[&Form]) -> Explained {
    let notes: Vec<String> = forms_note(same).into_iter().collect();
    let accepts =
        |form: &Form, upto: usize| form.params.iter().zip(args).take(upto).all(|(p, a)| p.accepts(a));
    // A form that starts as the call does, with more to come.
    if let Some(longer) = same
        .iter()
        .filter(|f| f.params.len() > args.len() && accepts(f, args.len()))
        .min_by_key(|f| f.params.len())
    {
        let missing: Vec<String> = longer.params[args.len()..].iter().map(|p| p.name.clone()).collect();
        let shown = if method { longer.show() } else { longer.show_plain() };
        return Explained {
            message: format!(
                "{name} is missing its {}: after {}, it takes {shown}",
                list(&missing, "and"),
                list(&runs(args), "and"),
            ),
            at: Point::End,
            notes,
        };
    }
    // The form of this many arguments that is wrong in the fewest places.
    let best = same
        .iter()
        .filter(|f| f.params.len() == args.len())
        .map(|f| (f.params.iter().zip(args).filter(|(p, a)| !p.accepts(a)).count(), *f))
        .min_by_key(|(wrong, _)| *wrong);
    if let Some((_, form)) = best {
        let (index, (param, arg)) = form
            .params
            .iter()
            .zip(args)
            .enumerate()
            .find(|(_, (p, a))| !p.accepts(a))
            .expect("no form matched, so one argument is wrong");
        let what = param.term.as_deref().map(article).unwrap_or_default();
        let place =
            if index == 0 && method { "its receiver".to_string() } else { format!("its {}", param.name) };
        return Explained {
            message: format!("{name} cannot take {} as {place}: {} is {what}", article(arg), param.name),
            at: Point::Arg(index),
            notes,
        };
    }
    let mut counts: Vec<usize> = same.iter().map(|f| f.params.len()).collect();
    counts.sort();
    counts.dedup();
    let counts: Vec<String> = counts.iter().map(usize::to_string).collect();
    let most = same.iter().map(|f| f.params.len()).max().unwrap_or(0);
    let at = if args.len() > most { Point::Arg(most) } else { Point::Name };
    Explained {
        message: format!(
            "{name} takes {} arguments (a namespace first counts), not {}: {}",
            list(&counts, "or"),
            args.len(),
            described(args)
        ),
        at,
        notes,
    }
}

/// Explains `value.name` on a type without that property, from Rhai's
/// "Unknown property 'NAME' - a getter is not registered for type 'TYPE'".
pub fn explain_property(rhai_message: &str) -> Option<String> {
    let rest = rhai_message.strip_prefix("Unknown property '")?;
    let (name, rest) = rest.split_once('\'')?;
    let ty = rest.split("type '").nth(1)?.trim_end_matches('\'');
    let known = known();
    let mut props: Vec<&str> =
        known.properties.iter().filter(|(t, _)| t == ty).map(|(_, p)| p.as_str()).collect();
    props.sort();
    if props.is_empty() {
        return None;
    }
    let what = if ty == "Netns" { "a namespace (Netns)".to_string() } else { article(ty) };
    let near = closest(name, props.iter().copied());
    let hint =
        if near.is_empty() { String::new() } else { format!(" (did you mean {}?)", near.join(" or ")) };
    Some(format!("{what} has no property '{name}'{hint}; its properties are {}", props.join(", ")))
}

/// Where the arguments of the call whose name is at byte `name_at` of
/// `text` start, and where its closing bracket is (byte offsets).
pub fn call_spans(text: &str, name_at: usize) -> Option<(Vec<usize>, usize)> {
    let rest = &text[name_at..];
    let name_len = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))?;
    let open = name_at + name_len + rest[name_len..].find(|c: char| !c.is_whitespace())?;
    if !text[open..].starts_with('(') {
        return None;
    }
    let mut scanner = Scanner::new(&text[open..]);
    let mut starts = Vec::new();
    let mut arg_open = true;
    while let Some(step) = scanner.step() {
        let depth = scanner.open.len();
        if step.code && step.ch == ')' && depth == 0 {
            return Some((starts, open + step.at));
        }
        if step.code && step.ch == ',' && depth == 1 {
            arg_open = true;
            continue;
        }
        if arg_open && step.at > 0 && !(step.code && step.ch.is_whitespace()) {
            starts.push(open + step.at);
            arg_open = false;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(signature: &str) -> Form {
        Form::parse(signature).unwrap()
    }

    fn bridge_forms() -> Vec<Form> {
        vec![form("bridge_add(name: string)"), form("bridge_add(ns: namespace, name: string)")]
    }

    #[test]
    fn distances() {
        assert_eq!(distance("brige_add", "bridge_add"), 1);
        assert_eq!(distance("lnik_up", "link_up"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(closest("brige_add", ["bridge_add", "link_add", "veth_add", "route_add"]), ["bridge_add"]);
        assert!(closest("frobnicate", ["bridge_add", "link_up"]).is_empty());
        assert_eq!(closest("lss", ["ls", "show", "down"]), ["ls"]);
    }

    #[test]
    fn forms_read_as_calls() {
        let forms = bridge_forms();
        assert_eq!(forms[0].show(), "bridge_add(name: string)");
        assert_eq!(forms[1].show(), "ns.bridge_add(name: string)");
        assert_eq!(
            form("veth_add(ns, name: string, peer_ns, peer: string) -> x").show(),
            "veth_add(ns, name: string, peer_ns, peer: string)"
        );
        assert_eq!(param("dev", "&str"), "dev: string");
        assert_eq!(param("addr", "Dynamic"), "addr");
    }

    #[test]
    fn a_wrong_type_points_at_its_argument() {
        let forms = bridge_forms();
        let same: Vec<&Form> = forms.iter().collect();
        let explained = wrong_arguments("bridge_add", &["int".into()], false, &same);
        assert_eq!(explained.message, "bridge_add cannot take an int as its name: name is a string");
        assert_eq!(explained.at, Point::Arg(0));
        assert_eq!(explained.notes, ["bridge_add: bridge_add(name: string), or ns.bridge_add(name: string)"]);
    }

    #[test]
    fn too_few_arguments_name_what_is_missing() {
        let forms = [
            form("veth_add(name: string, peer: string)"),
            form("veth_add(ns: namespace, name: string, peer: string)"),
            form("veth_add(ns, name: string, peer_ns, peer: string)"),
        ];
        let same: Vec<&Form> = forms.iter().collect();
        let explained = wrong_arguments("veth_add", &["namespace".into(), "string".into()], false, &same);
        assert_eq!(
            explained.message,
            "veth_add is missing its peer: after a namespace and a string, it takes \
             veth_add(ns: namespace, name: string, peer: string)"
        );
        assert_eq!(explained.at, Point::End);
    }

    #[test]
    fn call_arguments_are_found_in_the_text() {
        let text = "let x = 1;\nveth_add(x, \"a, b\", f(1, 2),\n  \"p\");";
        let at = text.find("veth_add").unwrap();
        let (starts, close) = call_spans(text, at).unwrap();
        let args: Vec<&str> = starts.iter().map(|&s| &text[s..s + 3]).collect();
        assert_eq!(args, ["x, ", "\"a,", "f(1", "\"p\""]);
        assert_eq!(&text[close..], ");");
        assert_eq!(call_spans("f()", 0), Some((vec![], 2)));
        assert_eq!(call_spans("topo::star(1)", 0), Some((vec![11], 12)));
    }

    #[test]
    fn argument_types_in_words() {
        let words = |args: &[&str]| described(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>());
        assert_eq!(words(&["string", "string", "int"]), "two strings, an int");
        assert_eq!(words(&["namespace"]), "a namespace");
        assert_eq!(words(&[]), "no arguments");
    }

    #[test]
    fn rhai_call_signatures() {
        assert_eq!(
            parse_call("veth_add (Netns, &str | ImmutableString | String)"),
            ("veth_add".to_string(), vec!["namespace".to_string(), "string".to_string()])
        );
        assert_eq!(parse_call("graph ()"), ("graph".to_string(), vec![]));
    }
}
