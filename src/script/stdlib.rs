//! The standard library: Rhai modules in stdlib/, built into the binary so an
//! installed netscript has them, imported by name (`import "topo" as topo;`).
//! Any other import is a file next to the script, as Rhai resolves it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rhai::module_resolvers::FileModuleResolver;
use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Shared};

/// Name and text of each module, in the order the reference lists them.
pub const MODULES: &[(&str, &str)] = &[
    ("topo", include_str!("../../stdlib/topo.rhai")),
    ("nat", include_str!("../../stdlib/nat.rhai")),
    ("check", include_str!("../../stdlib/check.rhai")),
    ("bird", include_str!("../../stdlib/bird.rhai")),
    ("frr", include_str!("../../stdlib/frr.rhai")),
    ("dhcp", include_str!("../../stdlib/dhcp.rhai")),
];

/// How the standard library names a module in messages (and Rhai its source).
pub fn file_name(module: &str) -> String {
    format!("stdlib/{module}.rhai")
}

/// The module name of a stdlib file name, if it is one.
pub fn module_of(source: &str) -> Option<&str> {
    let name = source.strip_prefix("stdlib/")?.strip_suffix(".rhai")?;
    MODULES.iter().any(|(known, _)| *known == name).then_some(name)
}

/// A public function of a stdlib module, for `:help` and completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleFn {
    pub name: String,
    pub params: Vec<String>,
    /// Its doc comment, without the `///`.
    pub doc: Vec<String>,
}

/// The public functions of a stdlib module, in the order of its text.
pub fn functions(module: &str) -> Vec<ModuleFn> {
    let Some((_, text)) = MODULES.iter().find(|(name, _)| *name == module) else { return Vec::new() };
    // With the limits scripts run under, which the stdlib is written to.
    let mut engine = Engine::new_raw();
    super::set_limits(&mut engine);
    let Ok(ast) = engine.compile(text) else { return Vec::new() };
    let mut out: Vec<ModuleFn> = ast
        .iter_functions()
        // A closure is a public function of its own, named anon$...
        .filter(|f| f.access == rhai::FnAccess::Public && !f.name.starts_with("anon$"))
        .map(|f| ModuleFn {
            name: f.name.to_string(),
            params: f.params.iter().map(|p| p.to_string()).collect(),
            doc: f
                .comments
                .iter()
                .flat_map(|c| c.lines())
                .map(|l| l.trim_start().trim_start_matches("///").trim_start_matches(' ').to_string())
                .collect(),
        })
        .collect();
    let position = |name: &str| text.find(&format!("fn {name}(")).unwrap_or(usize::MAX);
    out.sort_by_key(|f| (position(&f.name), f.params.len()));
    out
}

/// Serves the stdlib modules, each compiled on its first import only (an empty
/// script starts without compiling any), and files for every other path.
pub struct Resolver {
    compiled: RefCell<BTreeMap<&'static str, Shared<Module>>>,
    files: FileModuleResolver,
    /// The files being imported, outermost first, each as its real path and
    /// as the script named it: a file that imports itself, directly or not,
    /// would recurse until the stack overflows.
    importing: RefCell<Vec<(PathBuf, String)>>,
}

impl Resolver {
    /// Files are looked up relative to `dir`, the script's directory.
    pub fn new(dir: Option<&Path>) -> Self {
        let files = match dir {
            Some(dir) => FileModuleResolver::new_with_path(dir),
            None => FileModuleResolver::new_with_path(PathBuf::from(".")),
        };
        Resolver { compiled: RefCell::new(BTreeMap::new()), files, importing: RefCell::default() }
    }

    fn stdlib(
        &self,
        engine: &Engine,
        name: &'static str,
        text: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        if let Some(module) = self.compiled.borrow().get(name) {
            return Ok(module.clone());
        }
        let mut ast = engine.compile(text).map_err(|err| {
            // A test compiles every module, so this is a bug, not a user's mistake.
            let message = format!("netscript's stdlib module '{name}' does not compile: {err}");
            EvalAltResult::ErrorRuntime(message.into(), pos)
        })?;
        ast.set_source(file_name(name));
        let module: Shared<Module> = Module::eval_ast_as_new(rhai::Scope::new(), &ast, engine)?.into();
        self.compiled.borrow_mut().insert(name, module.clone());
        Ok(module)
    }
}

impl ModuleResolver for Resolver {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        if let Some((name, text)) = MODULES.iter().find(|(name, _)| *name == path) {
            return self.stdlib(engine, name, text, pos);
        }
        let file = self.files.get_file_path(path, None);
        let real = std::fs::canonicalize(&file).unwrap_or(file);
        let shown = if path.ends_with(".rhai") { path.to_string() } else { format!("{path}.rhai") };
        let cycle = {
            let importing = self.importing.borrow();
            let at = importing.iter().position(|(open, _)| *open == real);
            at.map(|at| {
                importing[at..].iter().map(|(_, name)| name.as_str()).collect::<Vec<_>>().join(" imports ")
            })
        };
        if let Some(chain) = cycle {
            let message = format!(
                "import cycle: {chain} imports {shown} again; modules cannot import each other in a circle"
            );
            return Err(EvalAltResult::ErrorRuntime(message.into(), pos).into());
        }
        self.importing.borrow_mut().push((real, shown));
        let resolved = self.files.resolve(engine, source, path, pos);
        self.importing.borrow_mut().pop();
        resolved.map_err(|err| match *err {
            EvalAltResult::ErrorModuleNotFound(..) => {
                let file = self.files.get_file_path(path, None);
                let names: Vec<&str> = MODULES.iter().map(|(name, _)| *name).collect();
                EvalAltResult::ErrorRuntime(
                    format!(
                        "no module '{path}': it is not in the standard library ({}) and there is no file {}",
                        names.join(", "),
                        file.display()
                    )
                    .into(),
                    pos,
                )
                .into()
            }
            _ => err,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(dir: Option<&Path>) -> Engine {
        let mut engine = Engine::new();
        super::super::set_limits(&mut engine);
        engine.set_module_resolver(Resolver::new(dir));
        engine
    }

    #[test]
    fn every_module_compiles_and_loads() {
        let engine = engine(None);
        for (name, _) in MODULES {
            engine.run(&format!("import \"{name}\" as m;")).unwrap_or_else(|err| panic!("{name}: {err}"));
        }
    }

    #[test]
    fn a_known_module_is_served_and_compiled_once() {
        let resolver = Resolver::new(None);
        let engine = Engine::new();
        assert!(resolver.compiled.borrow().is_empty());
        let first =
            resolver.resolve(&engine, None, "topo", Position::NONE).unwrap_or_else(|err| panic!("{err}"));
        let again =
            resolver.resolve(&engine, None, "topo", Position::NONE).unwrap_or_else(|err| panic!("{err}"));
        assert!(Shared::ptr_eq(&first, &again));
        assert_eq!(resolver.compiled.borrow().keys().copied().collect::<Vec<_>>(), ["topo"]);
        assert_eq!(first.id(), Some("stdlib/topo.rhai"));
    }

    #[test]
    fn helpers_stay_private() {
        let engine = engine(None);
        let err = engine.run("import \"topo\" as t; t::ns_of(\"x\");").unwrap_err();
        assert!(matches!(*err, EvalAltResult::ErrorFunctionNotFound(..)), "{err:?}");
    }

    #[test]
    fn an_unknown_module_lists_the_known_ones() {
        let dir = tempfile::tempdir().unwrap();
        let err = engine(Some(dir.path())).run("import \"topoo\" as t;").unwrap_err();
        let EvalAltResult::ErrorRuntime(message, pos) = *err else { panic!("{err:?}") };
        let modules: Vec<&str> = MODULES.iter().map(|(module, _)| *module).collect();
        assert_eq!(
            message.to_string(),
            format!(
                "no module 'topoo': it is not in the standard library ({}) and there is no file {}",
                modules.join(", "),
                dir.path().join("topoo.rhai").display()
            )
        );
        assert!(modules.starts_with(&["topo", "nat", "check"]), "{modules:?}");
        assert_eq!(pos.line(), Some(1));
    }

    #[test]
    fn other_paths_are_files_next_to_the_script() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mylib.rhai"), "fn twice(x) { 2 * x }").unwrap();
        let engine = engine(Some(dir.path()));
        let value: i64 = engine.eval("import \"mylib\" as m; m::twice(21)").unwrap();
        assert_eq!(value, 42);
        // The stdlib name wins over a file of the same name.
        std::fs::write(dir.path().join("nat.rhai"), "fn gateway() { 1 }").unwrap();
        let err = engine.run("import \"nat\" as n; n::gateway();").unwrap_err();
        assert!(matches!(*err, EvalAltResult::ErrorFunctionNotFound(..)), "{err:?}");
    }

    #[test]
    fn every_module_has_its_functions_listed() {
        for (name, _) in MODULES {
            assert!(!functions(name).is_empty(), "{name}");
        }
    }

    #[test]
    fn module_functions_with_their_docs() {
        let topo = functions("topo");
        let star: Vec<&ModuleFn> = topo.iter().filter(|f| f.name == "star").collect();
        assert_eq!(star.iter().map(|f| f.params.len()).collect::<Vec<_>>(), [3, 4]);
        assert!(star[0].doc[0].starts_with("A star: a bridge"), "{:?}", star[0].doc);
        assert!(!topo.iter().any(|f| f.name == "ns_of"));
        assert!(functions("nope").is_empty());
        for (module, _) in MODULES {
            assert!(!functions(module).is_empty(), "{module} lists no functions");
        }
    }

    #[test]
    fn an_import_cycle_is_an_error_not_a_stack_overflow() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.rhai"), "import \"b\" as b;\nfn fa() { 1 }").unwrap();
        std::fs::write(dir.path().join("b.rhai"), "import \"a\" as a;\nfn fb() { 2 }").unwrap();
        std::fs::write(dir.path().join("self.rhai"), "import \"self\" as me;").unwrap();
        let engine = engine(Some(dir.path()));
        let innermost = |mut err: &EvalAltResult| {
            while let EvalAltResult::ErrorInModule(_, inner, _) = err {
                err = inner;
            }
            match err {
                EvalAltResult::ErrorRuntime(message, _) => message.to_string(),
                other => other.to_string(),
            }
        };
        let err = engine.run("import \"a\" as a;").unwrap_err();
        assert!(
            innermost(&err).starts_with("import cycle: a.rhai imports b.rhai imports a.rhai again;"),
            "{err}"
        );
        let err = engine.run("import \"self\" as s;").unwrap_err();
        assert!(innermost(&err).starts_with("import cycle: self.rhai imports self.rhai again;"), "{err}");
        // Imported twice, but not in a circle: fine.
        std::fs::write(dir.path().join("c.rhai"), "import \"d\" as d;").unwrap();
        std::fs::write(dir.path().join("d.rhai"), "fn fd() { 4 }").unwrap();
        engine.run("import \"d\" as d; import \"c\" as c; import \"d\" as again;").unwrap();
    }

    #[test]
    fn stdlib_file_names_map_back_to_modules() {
        assert_eq!(module_of(&file_name("topo")), Some("topo"));
        assert_eq!(module_of("stdlib/nope.rhai"), None);
        assert_eq!(module_of("mylib"), None);
    }
}
