//! The class index: what each class of the workspace is made of, and the method resolution
//! order rules follow to find the helpers a test class inherits.
//!
//! Everything here is plain data computed from source text; finding and reading the files is
//! the [`Workspace`](super::Workspace)'s business (through its source provider).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use tree_sitter::Node;

use crate::model::{Class, ClassId, FileModel, resolve_with};
use crate::settings::Settings;
use crate::summary::FunctionSummary;
use crate::syntax::{Field, Kind, field, kind};
use crate::unit::Unit;

use super::modules::ModuleLocation;

/// The most classes one method resolution order may hold.
pub const MAX_MRO_CLASSES: usize = 256;

/// What one method does with `self`, and whether it asserts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MethodFacts {
    pub name: String,
    /// Attributes read from `self`/`cls` (sorted), functions nested in the method included.
    pub self_reads: Vec<String>,
    /// Methods called on `self`/`cls` (sorted).
    pub self_calls: Vec<String>,
    /// Methods called through `super()` (sorted).
    pub super_calls: Vec<String>,
    /// `self` is handed to code that may read any attribute (see
    /// [`FunctionSummary::self_escapes`]).
    pub self_escapes: bool,
    /// It asserts by itself: `assert`, `raise AssertionError`, `self.fail*`, `pytest.raises`…
    /// For methods of the file being checked this also counts calls matching the configured
    /// assertion-helper patterns; for methods read from other files those are matched at query
    /// time against [`MethodFacts::called_names`], so the index does not depend on settings.
    pub asserts_directly: bool,
    /// The last name of every callee (`self.assertEqual` → `assertEqual`, `helpers.check_x` →
    /// `check_x`), for matching the assertion-helper patterns. Empty for methods of the file
    /// being checked (already matched).
    pub called_names: Vec<String>,
    /// The body is only `pass`, `...`, a docstring or `raise NotImplementedError`: a method
    /// subclasses are expected to override. Only known for methods of other files.
    pub placeholder: bool,
    /// It mentions `mock.patch.stopall` (see [`FunctionSummary::stops_all_patches`]).
    pub stops_all_patches: bool,
    /// It installs `fixtures.NestedTempfile`.
    pub nests_temp_files: bool,
}

impl MethodFacts {
    /// Whether the method asserts by itself under these settings (not following calls).
    pub fn asserts(&self, settings: &Settings) -> bool {
        self.asserts_directly
            || self
                .called_names
                .iter()
                .any(|name| settings.is_assertion_helper(name))
    }

    /// The facts of a method of the file being checked, from its summary.
    pub fn from_summary(summary: &FunctionSummary) -> MethodFacts {
        MethodFacts {
            name: summary.name.clone(),
            self_reads: summary.self_reads.clone(),
            self_calls: summary.self_calls.clone(),
            super_calls: summary.super_calls.clone(),
            self_escapes: summary.self_escapes,
            asserts_directly: summary.asserts,
            called_names: Vec::new(),
            placeholder: false,
            stops_all_patches: summary.stops_all_patches,
            nests_temp_files: summary.nests_temp_files,
        }
    }
}

/// A base class as the index records it, before resolution.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BaseRef {
    /// A name bound in the class's own module: a class defined there, or an alias.
    Local(String),
    /// An absolute dotted path through the module's imports (`nova.test.TestCase`).
    Dotted(String),
    /// A bare name that only a `from m import *` can have bound: one of these modules.
    Wildcard { name: String, modules: Vec<String> },
    /// An expression the index cannot follow (`six.with_metaclass(M, Base)`, `Generic[T]`,
    /// a name bound nowhere).
    Opaque(String),
}

/// A class of the workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassInfo {
    pub name: String,
    /// The dotted name of its module (empty when the file is not importable).
    pub module: String,
    /// The file that defines it.
    pub path: Option<PathBuf>,
    /// The source root its module's imports resolve against.
    pub root: Option<PathBuf>,
    pub bases: Vec<BaseRef>,
    /// Methods by name (the last definition wins, as in Python).
    pub methods: HashMap<String, MethodFacts>,
    /// Names assigned or annotated in the class body (not methods).
    pub class_attributes: Vec<String>,
    /// Its id in the file being checked, when it is one of that file's classes (whose current
    /// text wins over the file on disk).
    pub local_id: Option<ClassId>,
}

impl ClassInfo {
    /// The dotted name of the class (`nova.test.TestCase`).
    pub fn qualified_name(&self) -> String {
        if self.module.is_empty() {
            self.name.clone()
        } else {
            format!("{}.{}", self.module, self.name)
        }
    }
}

/// One module of the workspace: its classes and the names its imports bind.
#[derive(Clone, Debug, Default)]
pub struct ModuleInfo {
    pub path: Option<PathBuf>,
    pub location: Option<ModuleLocation>,
    /// Top-level classes by name.
    pub classes: HashMap<String, Arc<ClassInfo>>,
    /// Top-level class names defined more than once (in `if`/`else` branches, say).
    pub ambiguous: HashSet<String>,
    /// Name → absolute dotted path, from imports and `Name = other.Name` aliases.
    pub bindings: HashMap<String, String>,
    /// Modules star-imported, absolute.
    pub wildcards: Vec<String>,
}

impl ModuleInfo {
    /// The module's class `name`, unless the name is defined more than once.
    pub fn class(&self, name: &str) -> Option<&Arc<ClassInfo>> {
        if self.ambiguous.contains(name) {
            return None;
        }
        self.classes.get(name)
    }

    /// The module of the file being checked, from its skeleton and its function summaries.
    /// Returns the module and each class of the file by [`ClassId`].
    pub fn from_file(
        file: &FileModel,
        location: Option<&ModuleLocation>,
        functions: &[FunctionSummary],
    ) -> (ModuleInfo, Vec<Arc<ClassInfo>>) {
        let mut methods: Vec<HashMap<String, MethodFacts>> =
            vec![HashMap::new(); file.classes.len()];
        for summary in functions {
            if summary.parent.is_none()
                && let Some(slot) = summary.class.and_then(|c| methods.get_mut(c))
            {
                slot.insert(summary.name.clone(), MethodFacts::from_summary(summary));
            }
        }
        build_module(file, location, methods, true)
    }

    /// The module of another file of the workspace, parsed from its text.
    pub fn from_source(path: &Path, location: Option<&ModuleLocation>, text: &str) -> ModuleInfo {
        let tree = crate::parse::parse(text, None);
        let _memo = crate::syntax::FieldMemo::new(&tree);
        let file = FileModel::build(&tree, text, Some(path));
        let settings: &Settings = &INDEX_SETTINGS;
        let mut methods: Vec<HashMap<String, MethodFacts>> =
            vec![HashMap::new(); file.classes.len()];
        for node in &file.units {
            let Some(class) = node.class else { continue };
            if file.classes.get(class).is_none_or(|c| c.parent.is_some()) {
                continue;
            }
            let unit = Unit::build(&file, settings, *node);
            let root = unit.root();
            let ctx = crate::rule::FunctionContext {
                file: &file,
                settings,
                unit: &unit,
                function: root,
            };
            let mut facts = crate::summary::method_facts(&ctx);
            let mut called = Vec::new();
            for function in &unit.functions {
                for call in function.nodes(Kind::Call) {
                    if let Some(name) = callee_last_name(text, *call) {
                        called.push(name.to_string());
                    }
                }
            }
            called.sort_unstable();
            called.dedup();
            facts.called_names = called;
            facts.placeholder = is_placeholder(text, root.body_statements());
            if let Some(slot) = methods.get_mut(class) {
                slot.insert(facts.name.clone(), facts);
            }
        }
        build_module(&file, location, methods, false).0
    }
}

/// Settings for indexing other files: no assertion-helper patterns, so that
/// [`MethodFacts::asserts_directly`] does not depend on any file's settings.
static INDEX_SETTINGS: LazyLock<Settings> = LazyLock::new(|| {
    let mut settings = Settings::default();
    settings.assertion_helpers.clear();
    settings
});

fn callee_last_name<'s>(source: &'s str, call: Node) -> Option<&'s str> {
    let callee = field(call, Field::Function)?;
    match kind(callee) {
        Kind::Identifier => source.get(callee.byte_range()),
        Kind::Attribute => source.get(field(callee, Field::Attribute)?.byte_range()),
        _ => None,
    }
}

/// `pass`, `...`, strings and at most a `raise NotImplementedError`.
fn is_placeholder(source: &str, statements: Vec<Node>) -> bool {
    !statements.is_empty()
        && statements.iter().all(|statement| match kind(*statement) {
            Kind::PassStatement => true,
            Kind::ExpressionStatement => statement.named_child(0).is_some_and(|e| {
                matches!(
                    kind(e),
                    Kind::String | Kind::ConcatenatedString | Kind::Ellipsis
                )
            }),
            Kind::RaiseStatement => statement.named_child(0).is_some_and(|e| {
                let raised = if kind(e) == Kind::Call {
                    field(e, Field::Function)
                } else {
                    Some(e)
                };
                raised.and_then(|r| source.get(r.byte_range())) == Some("NotImplementedError")
            }),
            _ => false,
        })
}

fn build_module(
    file: &FileModel,
    location: Option<&ModuleLocation>,
    mut methods: Vec<HashMap<String, MethodFacts>>,
    checked_file: bool,
) -> (ModuleInfo, Vec<Arc<ClassInfo>>) {
    let absolute = |dotted: &str| match location {
        Some(location) => location.absolute(dotted),
        None => (!dotted.starts_with('.')).then(|| dotted.to_string()),
    };
    let top_level: HashSet<&str> = file
        .classes
        .iter()
        .filter(|c| c.parent.is_none())
        .map(|c| c.name.as_str())
        .collect();
    let mut module = ModuleInfo {
        path: file.path.clone(),
        location: location.cloned(),
        ..ModuleInfo::default()
    };
    for (name, path) in file.imports.sorted() {
        if let Some(path) = absolute(path) {
            module.bindings.insert(name.to_string(), path);
        }
    }
    module.wildcards = file
        .imports
        .wildcards
        .iter()
        .filter_map(|w| absolute(w))
        .collect();
    for (name, target) in module_aliases(file) {
        if top_level.contains(name.as_str()) {
            continue;
        }
        let resolved = if top_level.contains(target.as_str()) {
            location.map(|l| format!("{}.{target}", l.name))
        } else {
            target_through_imports(file, &target).and_then(|t| absolute(&t))
        };
        if let Some(resolved) = resolved {
            module.bindings.insert(name, resolved);
        }
    }
    let mut by_id = Vec::with_capacity(file.classes.len());
    for class in &file.classes {
        let info = Arc::new(ClassInfo {
            name: class.name.clone(),
            module: location.map(|l| l.name.clone()).unwrap_or_default(),
            path: file.path.clone(),
            root: location.map(|l| l.root.clone()),
            bases: base_refs(file, class, &top_level, &module, &absolute),
            methods: methods
                .get_mut(class.id)
                .map(std::mem::take)
                .unwrap_or_default(),
            class_attributes: class
                .class_attributes
                .iter()
                .cloned()
                .chain(class.annotations.iter().map(|a| a.name.clone()))
                .collect(),
            local_id: checked_file.then_some(class.id),
        });
        if class.parent.is_none() {
            if module.classes.contains_key(&class.name) {
                module.ambiguous.insert(class.name.clone());
            }
            module.classes.insert(class.name.clone(), info.clone());
        }
        by_id.push(info);
    }
    (module, by_id)
}

/// `Name = other.Name` at module level (an alias of a class), as written.
fn module_aliases(file: &FileModel) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for statement in &file.module_statements {
        if kind(*statement) != Kind::ExpressionStatement
            || statement.parent().is_none_or(|p| kind(p) != Kind::Module)
        {
            continue;
        }
        let Some(assignment) = statement
            .named_child(0)
            .filter(|a| kind(*a) == Kind::Assignment)
        else {
            continue;
        };
        let (Some(left), Some(right)) = (
            field(assignment, Field::Left),
            field(assignment, Field::Right),
        ) else {
            continue;
        };
        if kind(left) != Kind::Identifier
            || !matches!(kind(right), Kind::Identifier | Kind::Attribute)
        {
            continue;
        }
        if let Some(target) = crate::model::dotted_name(file.source, right) {
            out.push((file.text(left).to_string(), target));
        }
    }
    out
}

/// `a.b.C` with `a` imported: the imported path plus the rest.
fn target_through_imports(file: &FileModel, dotted: &str) -> Option<String> {
    let mut parts = dotted.splitn(2, '.');
    let first = parts.next()?;
    let base = file.imports.get(first)?;
    Some(match parts.next() {
        Some(rest) => format!("{base}.{rest}"),
        None => base.to_string(),
    })
}

fn base_refs(
    file: &FileModel,
    class: &Class,
    top_level: &HashSet<&str>,
    module: &ModuleInfo,
    absolute: &dyn Fn(&str) -> Option<String>,
) -> Vec<BaseRef> {
    let Some(list) = superclass_list(file, class) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut cursor = list.walk();
    for base in list.named_children(&mut cursor) {
        let text = file.text(base).to_string();
        match kind(base) {
            Kind::Comment | Kind::KeywordArgument => {}
            Kind::Identifier => {
                if text != class.name && top_level.contains(text.as_str()) {
                    out.push(BaseRef::Local(text));
                } else if let Some(path) = file.imports.get(&text).and_then(absolute) {
                    out.push(BaseRef::Dotted(path));
                } else if module.bindings.contains_key(&text) {
                    out.push(BaseRef::Local(text));
                } else if text == "object" {
                    out.push(BaseRef::Dotted("builtins.object".into()));
                } else if !module.wildcards.is_empty() {
                    out.push(BaseRef::Wildcard {
                        name: text,
                        modules: module.wildcards.clone(),
                    });
                } else {
                    out.push(BaseRef::Opaque(text));
                }
            }
            Kind::Attribute => {
                match resolve_with(&file.imports, file.source, base).and_then(|p| absolute(&p)) {
                    Some(path) => out.push(BaseRef::Dotted(path)),
                    None => out.push(BaseRef::Opaque(text)),
                }
            }
            _ => out.push(BaseRef::Opaque(text)),
        }
    }
    out
}

/// The `(...)` of a class statement, found from the class's name in the tree.
fn superclass_list<'t>(file: &FileModel<'t>, class: &Class) -> Option<Node<'t>> {
    let name = file
        .tree
        .root_node()
        .descendant_for_byte_range(class.name_range.start, class.name_range.end)?;
    let definition = name
        .parent()
        .filter(|d| kind(*d) == Kind::ClassDefinition)?;
    field(definition, Field::Superclasses)
}

/// A class of a test framework: known without reading it.
#[derive(Debug, PartialEq, Eq)]
pub struct FrameworkClass {
    /// Its dotted path.
    pub path: &'static str,
    /// Whether it is a `TestCase`, whose `assert*`/`fail*` methods assert.
    pub test_case: bool,
    /// Its API, besides `assert*`/`fail*` for test cases.
    pub methods: &'static [&'static str],
}

impl FrameworkClass {
    /// Whether the class provides `name`, and whether calling it asserts.
    pub fn method(&self, name: &str) -> Option<&'static MethodFacts> {
        if self.test_case
            && (name.starts_with("assert") || name.starts_with("fail") || name == "expectThat")
        {
            return Some(&FRAMEWORK_ASSERTION);
        }
        self.methods.contains(&name).then_some(&*FRAMEWORK_METHOD)
    }
}

static FRAMEWORK_METHOD: LazyLock<MethodFacts> = LazyLock::new(MethodFacts::default);
static FRAMEWORK_ASSERTION: LazyLock<MethodFacts> = LazyLock::new(|| MethodFacts {
    asserts_directly: true,
    ..MethodFacts::default()
});

/// The API of `unittest.TestCase` and of the frameworks built on it (testtools, fixtures,
/// oslotest), besides `assert*`/`fail*`: methods that never assert.
pub const TEST_CASE_METHODS: &[&str] = &[
    // unittest.TestCase
    "addClassCleanup",
    "addCleanup",
    "addTypeEqualityFunc",
    "asyncSetUp",
    "asyncTearDown",
    "countTestCases",
    "debug",
    "defaultTestResult",
    "doClassCleanups",
    "doCleanups",
    "enterClassContext",
    "enterContext",
    "id",
    "run",
    "runTest",
    "setUp",
    "setUpClass",
    "shortDescription",
    "skipTest",
    "subTest",
    "tearDown",
    "tearDownClass",
    "_callSetUp",
    "_callTearDown",
    "_callTestMethod",
    "_callCleanup",
    // testtools.TestCase
    "addDetail",
    "addDetailUniqueName",
    "addOnException",
    "getDetails",
    "getUniqueInteger",
    "getUniqueString",
    "onException",
    "patch",
    "skip",
    "useFixture",
    "expectFailure",
    // fixtures.TestWithFixtures
    "useFixtures",
    // oslotest.base.BaseTestCase
    "create_tempfiles",
    "_set_timeout",
    "_fake_output",
    "_fake_logs",
];

const FIXTURE_METHODS: &[&str] = &[
    "addCleanup",
    "addDetail",
    "cleanUp",
    "getDetails",
    "reset",
    "setUp",
    "_setUp",
    "useFixture",
    "_clear_cleanups",
    "_remove_state",
];

/// The framework classes the index knows without reading them.
pub static FRAMEWORK_CLASSES: &[FrameworkClass] = &[
    FrameworkClass {
        path: "builtins.object",
        test_case: false,
        methods: &[],
    },
    FrameworkClass {
        path: "object",
        test_case: false,
        methods: &[],
    },
    FrameworkClass {
        path: "abc.ABC",
        test_case: false,
        methods: &[],
    },
    FrameworkClass {
        path: "unittest.TestCase",
        test_case: true,
        methods: TEST_CASE_METHODS,
    },
    FrameworkClass {
        path: "unittest.case.TestCase",
        test_case: true,
        methods: TEST_CASE_METHODS,
    },
    FrameworkClass {
        path: "unittest.IsolatedAsyncioTestCase",
        test_case: true,
        methods: TEST_CASE_METHODS,
    },
    FrameworkClass {
        path: "unittest.async_case.IsolatedAsyncioTestCase",
        test_case: true,
        methods: TEST_CASE_METHODS,
    },
    FrameworkClass {
        path: "testtools.TestCase",
        test_case: true,
        methods: TEST_CASE_METHODS,
    },
    FrameworkClass {
        path: "testtools.testcase.TestCase",
        test_case: true,
        methods: TEST_CASE_METHODS,
    },
    FrameworkClass {
        path: "testtools.testcase.WithAttributes",
        test_case: false,
        methods: &["id"],
    },
    FrameworkClass {
        path: "oslotest.base.BaseTestCase",
        test_case: true,
        methods: TEST_CASE_METHODS,
    },
    FrameworkClass {
        path: "fixtures.TestWithFixtures",
        test_case: true,
        methods: TEST_CASE_METHODS,
    },
    FrameworkClass {
        path: "fixtures.testcase.TestWithFixtures",
        test_case: true,
        methods: TEST_CASE_METHODS,
    },
    FrameworkClass {
        path: "testscenarios.TestWithScenarios",
        test_case: true,
        methods: TEST_CASE_METHODS,
    },
    FrameworkClass {
        path: "testscenarios.WithScenarios",
        test_case: false,
        methods: &["run", "countTestCases"],
    },
    FrameworkClass {
        path: "fixtures.Fixture",
        test_case: false,
        methods: FIXTURE_METHODS,
    },
    FrameworkClass {
        path: "fixtures.fixture.Fixture",
        test_case: false,
        methods: FIXTURE_METHODS,
    },
];

/// The framework class at `path`, if it is one the index knows.
pub fn framework_class(path: &str) -> Option<&'static FrameworkClass> {
    FRAMEWORK_CLASSES.iter().find(|f| f.path == path)
}

/// One class in a method resolution order.
#[derive(Clone, Debug)]
pub enum MroEntry {
    Class(Arc<ClassInfo>),
    Framework(&'static FrameworkClass),
    /// A base the index could not resolve (outside the workspace, a syntax it does not follow,
    /// an inheritance cycle): anything may be defined there.
    Unknown(String),
}

impl MroEntry {
    fn key(&self) -> String {
        match self {
            MroEntry::Class(c) => format!(
                "c:{}:{}:{}",
                c.path
                    .as_deref()
                    .map(Path::display)
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                c.module,
                c.name
            ),
            MroEntry::Framework(f) => format!("f:{}", f.path),
            MroEntry::Unknown(text) => format!("u:{text}"),
        }
    }

    /// The name to show for this entry.
    pub fn display_name(&self) -> String {
        match self {
            MroEntry::Class(c) => c.qualified_name(),
            MroEntry::Framework(f) => f.path.to_string(),
            MroEntry::Unknown(text) => text.clone(),
        }
    }
}

/// What a lookup on a class found.
#[derive(Clone, Copy, Debug)]
pub enum MethodLookup<'m> {
    /// The method, and the index in the MRO of the class that defines it.
    Found(FoundMethod<'m>),
    /// A class-level attribute (not a `def`) of that name comes first.
    Attribute,
    /// Every class of the MRO is known and none defines it.
    NotDefined,
    /// A class that could define it is unknown.
    Unknown,
}

#[derive(Clone, Copy, Debug)]
pub struct FoundMethod<'m> {
    pub facts: &'m MethodFacts,
    /// The position in the MRO of the class that defines it.
    pub owner: usize,
}

/// A method resolution order (C3, as Python computes it), the class itself first.
#[derive(Clone, Debug, Default)]
pub struct Mro {
    pub entries: Vec<MroEntry>,
}

impl Mro {
    /// Whether every class of the order is known.
    pub fn is_complete(&self) -> bool {
        !self
            .entries
            .iter()
            .any(|e| matches!(e, MroEntry::Unknown(_)))
    }

    /// Looks `name` up as `self.name` would on an instance of the first class.
    pub fn lookup(&self, name: &str) -> MethodLookup<'_> {
        self.lookup_from(0, name)
    }

    /// Looks `name` up as `super().name` would in a method of the class at `owner`.
    pub fn lookup_after(&self, owner: usize, name: &str) -> MethodLookup<'_> {
        self.lookup_from(owner + 1, name)
    }

    fn lookup_from(&self, start: usize, name: &str) -> MethodLookup<'_> {
        for (index, entry) in self.entries.iter().enumerate().skip(start) {
            match entry {
                MroEntry::Class(class) => {
                    if let Some(facts) = class.methods.get(name) {
                        return MethodLookup::Found(FoundMethod {
                            facts,
                            owner: index,
                        });
                    }
                    if class.class_attributes.iter().any(|a| a == name) {
                        return MethodLookup::Attribute;
                    }
                }
                MroEntry::Framework(framework) => {
                    if let Some(facts) = framework.method(name) {
                        return MethodLookup::Found(FoundMethod {
                            facts,
                            owner: index,
                        });
                    }
                }
                MroEntry::Unknown(_) => return MethodLookup::Unknown,
            }
        }
        MethodLookup::NotDefined
    }

    /// Every method name the known project classes of the order define (framework API
    /// excluded), each once.
    pub fn project_method_names(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for entry in &self.entries {
            if let MroEntry::Class(class) = entry {
                let mut names: Vec<&str> = class.methods.keys().map(String::as_str).collect();
                names.sort_unstable();
                for name in names {
                    if seen.insert(name) {
                        out.push(name);
                    }
                }
            }
        }
        out
    }

    /// Follows every method reachable from `roots` through `self.x()` calls, reads of
    /// `self.x` that name a method (callbacks, properties) and `super().x()` calls.
    pub fn reach<'m>(&'m self, roots: impl IntoIterator<Item = FoundMethod<'m>>) -> Reach<'m> {
        let mut reach = Reach::default();
        let mut seen: HashSet<(usize, &str)> = HashSet::new();
        let mut work: Vec<FoundMethod<'m>> = roots.into_iter().collect();
        while let Some(method) = work.pop() {
            if !seen.insert((method.owner, method.facts.name.as_str())) {
                continue;
            }
            reach.escapes |= method.facts.self_escapes;
            reach.methods.push(method);
            for name in &method.facts.self_calls {
                match self.lookup(name) {
                    MethodLookup::Found(found) => work.push(found),
                    MethodLookup::Unknown => reach.unknown = true,
                    MethodLookup::Attribute | MethodLookup::NotDefined => {}
                }
            }
            for name in &method.facts.self_reads {
                match self.lookup(name) {
                    MethodLookup::Found(found) => work.push(found),
                    MethodLookup::Unknown => reach.unknown = true,
                    MethodLookup::Attribute | MethodLookup::NotDefined => {}
                }
            }
            for name in &method.facts.super_calls {
                match self.lookup_after(method.owner, name) {
                    MethodLookup::Found(found) => work.push(found),
                    MethodLookup::Unknown => reach.unknown = true,
                    MethodLookup::Attribute | MethodLookup::NotDefined => {}
                }
            }
        }
        reach
    }

    /// Whether calling `self.<name>()` asserts, following the calls it makes on `self`:
    /// `Some(true)` when something reached asserts, `Some(false)` when everything reached is
    /// known and nothing asserts, `None` when an unknown class or `self` handed elsewhere
    /// leaves it open.
    pub fn method_asserts(&self, name: &str, settings: &Settings) -> Option<bool> {
        let root = match self.lookup(name) {
            MethodLookup::Found(found) => found,
            MethodLookup::Unknown => return None,
            MethodLookup::Attribute | MethodLookup::NotDefined => return Some(false),
        };
        let reach = self.reach([root]);
        if reach.methods.iter().any(|m| m.facts.asserts(settings)) {
            return Some(true);
        }
        if reach.unknown || reach.escapes || reach.methods.iter().any(|m| m.facts.placeholder) {
            return None;
        }
        Some(false)
    }
}

/// The methods [`Mro::reach`] found.
#[derive(Debug, Default)]
pub struct Reach<'m> {
    pub methods: Vec<FoundMethod<'m>>,
    /// A call or read on `self` that an unknown class may define.
    pub unknown: bool,
    /// A reached method hands `self` to code that may read anything.
    pub escapes: bool,
}

impl Reach<'_> {
    /// Whether a reached method reads `self.<name>`.
    pub fn reads(&self, name: &str) -> bool {
        self.methods.iter().any(|m| {
            m.facts
                .self_reads
                .binary_search_by(|r| r.as_str().cmp(name))
                .is_ok()
        })
    }
}

/// Computes a C3 linearization with an explicit stack. `bases_of` resolves the bases of one
/// class. A cycle, an order Python would reject, or more than [`MAX_MRO_CLASSES`] classes end
/// the order with an [`MroEntry::Unknown`].
pub fn linearize(
    start: Arc<ClassInfo>,
    mut bases_of: impl FnMut(&ClassInfo) -> Vec<MroEntry>,
) -> Mro {
    let start_entry = MroEntry::Class(start);
    let start_key = start_entry.key();
    let mut entries: HashMap<String, MroEntry> = HashMap::new();
    let mut bases: HashMap<String, Vec<String>> = HashMap::new();
    // Key → its linearization; `None` while its bases are being linearized.
    let mut done: HashMap<String, Option<Vec<String>>> = HashMap::new();
    let fail = |entry: &MroEntry, why: &str| Mro {
        entries: vec![entry.clone(), MroEntry::Unknown(why.to_string())],
    };
    let mut stack: Vec<(String, bool)> = vec![(start_key.clone(), false)];
    entries.insert(start_key.clone(), start_entry.clone());
    while let Some((key, expanded)) = stack.pop() {
        if expanded {
            let own = bases.get(&key).cloned().unwrap_or_default();
            let mut sequences: Vec<Vec<String>> = Vec::new();
            for base in &own {
                match done.get(base) {
                    Some(Some(order)) => sequences.push(order.clone()),
                    _ => return fail(&start_entry, "inheritance cycle"),
                }
            }
            sequences.push(own);
            let Some(merged) = c3_merge(sequences) else {
                return fail(&start_entry, "inconsistent method resolution order");
            };
            let mut order = vec![key.clone()];
            order.extend(merged);
            done.insert(key, Some(order));
            continue;
        }
        match done.get(&key) {
            Some(Some(_)) => continue,
            Some(None) => return fail(&start_entry, "inheritance cycle"),
            None => {}
        }
        if done.len() >= MAX_MRO_CLASSES {
            return fail(&start_entry, "too many classes");
        }
        done.insert(key.clone(), None);
        let entry = entries.get(&key).cloned();
        let resolved = match &entry {
            Some(MroEntry::Class(class)) => bases_of(class),
            _ => Vec::new(),
        };
        let mut keys = Vec::with_capacity(resolved.len());
        for base in resolved {
            let base_key = base.key();
            entries.entry(base_key.clone()).or_insert(base);
            keys.push(base_key);
        }
        stack.push((key.clone(), true));
        for base_key in keys.iter().rev() {
            match done.get(base_key) {
                Some(Some(_)) => {}
                Some(None) => return fail(&start_entry, "inheritance cycle"),
                None => stack.push((base_key.clone(), false)),
            }
        }
        bases.insert(key, keys);
    }
    let order = match done.get(&start_key) {
        Some(Some(order)) => order.clone(),
        _ => return fail(&start_entry, "inheritance cycle"),
    };
    Mro {
        entries: order
            .iter()
            .filter_map(|key| entries.get(key).cloned())
            .collect(),
    }
}

fn c3_merge(mut sequences: Vec<Vec<String>>) -> Option<Vec<String>> {
    let mut out = Vec::new();
    loop {
        sequences.retain(|s| !s.is_empty());
        if sequences.is_empty() {
            return Some(out);
        }
        let candidate = sequences
            .iter()
            .map(|s| &s[0])
            .find(|head| !sequences.iter().any(|s| s[1..].contains(head)))?
            .clone();
        for sequence in &mut sequences {
            if sequence.first() == Some(&candidate) {
                sequence.remove(0);
            }
        }
        out.push(candidate);
        if out.len() > MAX_MRO_CLASSES {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(name: &str, bases: &[&str]) -> Arc<ClassInfo> {
        Arc::new(ClassInfo {
            name: name.into(),
            module: "m".into(),
            path: None,
            root: None,
            bases: bases
                .iter()
                .map(|b| BaseRef::Local(b.to_string()))
                .collect(),
            methods: HashMap::new(),
            class_attributes: Vec::new(),
            local_id: None,
        })
    }

    fn order(classes: &[Arc<ClassInfo>], start: &str) -> Vec<String> {
        let by_name: HashMap<String, Arc<ClassInfo>> = classes
            .iter()
            .map(|c| (c.name.clone(), c.clone()))
            .collect();
        let mro = linearize(by_name[start].clone(), |c| {
            c.bases
                .iter()
                .map(|b| match b {
                    BaseRef::Local(n) => by_name
                        .get(n)
                        .map(|c| MroEntry::Class(c.clone()))
                        .unwrap_or(MroEntry::Unknown(n.clone())),
                    _ => MroEntry::Unknown(String::new()),
                })
                .collect()
        });
        mro.entries
            .iter()
            .map(|e| match e {
                MroEntry::Class(c) => c.name.clone(),
                MroEntry::Framework(f) => f.path.to_string(),
                MroEntry::Unknown(t) => format!("?{t}"),
            })
            .collect()
    }

    #[test]
    fn c3_orders_a_diamond_like_python() {
        let classes = [
            class("O", &[]),
            class("A", &["O"]),
            class("B", &["O"]),
            class("C", &["A", "B"]),
        ];
        assert_eq!(order(&classes, "C"), vec!["C", "A", "B", "O"]);
    }

    #[test]
    fn cycles_and_unknown_bases_end_in_unknown() {
        let classes = [class("A", &["B"]), class("B", &["A"])];
        assert_eq!(order(&classes, "A"), vec!["A", "?inheritance cycle"]);
        let classes = [class("A", &["Missing", "B"]), class("B", &[])];
        assert_eq!(order(&classes, "A"), vec!["A", "?Missing", "B"]);
        let classes = [class("A", &["A"])];
        assert_eq!(order(&classes, "A"), vec!["A", "?inheritance cycle"]);
    }

    #[test]
    fn inconsistent_orders_are_unknown() {
        let classes = [
            class("X", &[]),
            class("Y", &[]),
            class("A", &["X", "Y"]),
            class("B", &["Y", "X"]),
            class("C", &["A", "B"]),
        ];
        assert_eq!(
            order(&classes, "C"),
            vec!["C", "?inconsistent method resolution order"]
        );
    }

    #[test]
    fn lookups_stop_at_unknown_classes() {
        let mut a = (*class("A", &[])).clone();
        a.methods.insert(
            "helper".into(),
            MethodFacts {
                name: "helper".into(),
                ..Default::default()
            },
        );
        let mro = Mro {
            entries: vec![
                MroEntry::Class(Arc::new(a)),
                MroEntry::Unknown("Base".into()),
                MroEntry::Framework(framework_class("unittest.TestCase").unwrap()),
            ],
        };
        assert!(matches!(mro.lookup("helper"), MethodLookup::Found(_)));
        assert!(matches!(mro.lookup("other"), MethodLookup::Unknown));
        let known = Mro {
            entries: vec![mro.entries[0].clone(), mro.entries[2].clone()],
        };
        assert!(matches!(known.lookup("other"), MethodLookup::NotDefined));
        let MethodLookup::Found(found) = known.lookup("assertEqual") else {
            panic!()
        };
        assert!(found.facts.asserts(&Settings::default()));
        let MethodLookup::Found(found) = known.lookup("useFixture") else {
            panic!()
        };
        assert!(!found.facts.asserts(&Settings::default()));
    }
}
