//! The workspace fixture index: which fixtures a pytest test can request, and where each is
//! defined.
//!
//! pytest looks a requested name up, nearest first, in: the test's class (and its bases), the
//! test's module, every `conftest.py` from the module's folder up to the root, then the
//! plugins (its built-ins and installed plugins). [`FixtureIndex`] holds the parsed
//! `conftest.py` files; [`FixtureScope`] is the lookup for one file.
//!
//! The index never touches the file system itself: it reads through a [`FileSource`] that
//! [`crate::discovery`] provides. Each `conftest.py` is parsed at most once, on first use, and
//! the index is safe to share between the threads checking files in parallel. The language
//! server keeps it current with [`FixtureIndex::file_changed`] and
//! [`FixtureIndex::file_removed`].

use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};

use super::pytest_syntax::{
    BUILTIN_FIXTURES, BuiltinFixture, FixtureDef, ModuleFixtures, builtin_fixture,
};
use crate::model::ClassId;
use crate::text::TextRange;

/// Read access to the files around the one being checked.
pub trait FileSource: Send + Sync {
    /// The text of a file; `None` when it does not exist or cannot be read.
    fn read(&self, path: &Path) -> Option<String>;
    /// Whether `directory` holds a project marker (`pyproject.toml`, `setup.cfg`, `setup.py`,
    /// `.git`).
    fn is_project_root(&self, directory: &Path) -> bool;
}

type Cell = Arc<OnceLock<Option<Arc<ModuleFixtures>>>>;

/// The parsed `conftest.py` files of a workspace, loaded lazily.
#[derive(Default)]
pub struct FixtureIndex {
    source: Option<Arc<dyn FileSource>>,
    /// The checked roots: the last resort for where the conftest search stops.
    roots: Vec<PathBuf>,
    /// `conftest.py` path → its facts (`None`: no such file).
    modules: RwLock<HashMap<PathBuf, Cell>>,
    /// Directory → whether it holds a project marker.
    markers: RwLock<HashMap<PathBuf, bool>>,
    /// Every `conftest.py` known to exist (found by discovery or reported by the editor).
    known: RwLock<BTreeSet<PathBuf>>,
    /// Project root → the plugins its configuration declares.
    projects: RwLock<HashMap<PathBuf, Arc<OnceLock<Arc<ProjectPlugins>>>>>,
}

/// The pytest plugins a project declares (as dependencies or with `-p`) whose fixtures
/// Proctor does not know.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectPlugins {
    pub unknown: Vec<String>,
    /// A hash of the files read.
    pub hash: u64,
}

/// The files a project declares its test dependencies and pytest options in.
const PROJECT_FILES: &[&str] = &[
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "tox.ini",
    "pytest.ini",
    "requirements.txt",
    "requirements-dev.txt",
    "requirements-test.txt",
    "requirements-tests.txt",
    "requirements_dev.txt",
    "requirements_test.txt",
    "dev-requirements.txt",
    "test-requirements.txt",
    "requirements/dev.txt",
    "requirements/test.txt",
    "requirements/tests.txt",
    "tests/requirements.txt",
];

/// Plugins whose fixtures are pytest's own or in the default `known-fixtures`, or that have
/// none.
const KNOWN_PLUGINS: &[&str] = &[
    "pytest-asyncio",
    "pytest-benchmark",
    "pytest-black",
    "pytest-clarity",
    "pytest-cov",
    "pytest-custom-exit-code",
    "pytest-django",
    "pytest-dotenv",
    "pytest-env",
    "pytest-flake8",
    "pytest-forked",
    "pytest-github-actions-annotate-failures",
    "pytest-httpx",
    "pytest-icdiff",
    "pytest-instafail",
    "pytest-isort",
    "pytest-lsp",
    "pytest-mock",
    "pytest-mypy",
    "pytest-order",
    "pytest-ordering",
    "pytest-profiling",
    "pytest-pylint",
    "pytest-randomly",
    "pytest-repeat",
    "pytest-rerunfailures",
    "pytest-runner",
    "pytest-split",
    "pytest-subtests",
    "pytest-sugar",
    "pytest-timeout",
    "pytest-xdist",
    "pytest-md",
    // `-p` names
    "pytester",
    "xdist",
    "pytest-cov",
    "pytest-mock",
    "pytest-asyncio",
    "anyio",
];

/// Reads the plugin names a configuration or requirements text declares: `pytest-*`
/// distributions and `-p name` options (`-p no:name` disables, and is ignored).
pub fn declared_plugins(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let tokens: Vec<&str> = text
        .split(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    '"' | '\'' | ',' | '[' | ']' | '=' | '<' | '>' | '~' | '!' | ';' | '(' | ')'
                )
        })
        .filter(|t| !t.is_empty())
        .collect();
    for (i, token) in tokens.iter().enumerate() {
        let lower = token.to_ascii_lowercase();
        if *token == "-p" {
            if let Some(next) = tokens.get(i + 1)
                && !next.starts_with("no:")
            {
                out.push(next.to_ascii_lowercase().replace('_', "-"));
            }
            continue;
        }
        if let Some(name) = lower.strip_prefix("-p")
            && !name.is_empty()
            && !name.starts_with("no:")
            && lower.len() > 2
            && !lower.starts_with("-p-")
        {
            out.push(name.replace('_', "-"));
            continue;
        }
        let normalized = lower.replace('_', "-");
        if let Some(rest) = normalized.strip_prefix("pytest-")
            && !rest.is_empty()
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            out.push(format!("pytest-{rest}"));
        }
    }
    out.sort();
    out.dedup();
    out
}

impl std::fmt::Debug for FixtureIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixtureIndex")
            .field("reads_files", &self.source.is_some())
            .field("roots", &self.roots)
            .field(
                "loaded",
                &self.modules.read().map(|m| m.len()).unwrap_or_default(),
            )
            .finish()
    }
}

fn is_conftest(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "conftest.py")
}

impl FixtureIndex {
    /// An index reading through `source`. `roots` are the checked paths; `conftests` the
    /// `conftest.py` files already found (more are found on demand).
    pub fn new(
        source: Arc<dyn FileSource>,
        roots: Vec<PathBuf>,
        conftests: impl IntoIterator<Item = PathBuf>,
    ) -> Self {
        Self {
            source: Some(source),
            roots,
            known: RwLock::new(conftests.into_iter().filter(|p| is_conftest(p)).collect()),
            ..Self::default()
        }
    }

    /// Whether the index can see other files at all (an empty workspace cannot).
    pub fn reads_files(&self) -> bool {
        self.source.is_some()
    }

    /// The facts of the `conftest.py` at `path`, parsed on first use.
    pub fn conftest(&self, path: &Path) -> Option<Arc<ModuleFixtures>> {
        let source = self.source.as_ref()?;
        let existing = self.modules.read().ok().and_then(|m| m.get(path).cloned());
        let cell = match existing {
            Some(cell) => cell,
            None => {
                let mut modules = self.modules.write().ok()?;
                modules.entry(path.to_path_buf()).or_default().clone()
            }
        };
        cell.get_or_init(|| {
            source
                .read(path)
                .map(|text| Arc::new(ModuleFixtures::parse(&text, path)))
        })
        .clone()
    }

    /// The folder the conftest search for `file` stops at: the configuration file's folder
    /// (`settings_root`) when the file is under it, else the nearest folder above the file
    /// with a project marker, else the checked root holding the file, else the file's folder.
    pub fn root_for(&self, file: &Path, settings_root: Option<&Path>) -> PathBuf {
        let directory = file.parent().unwrap_or(file);
        if let Some(root) = settings_root.filter(|r| directory.starts_with(r)) {
            return root.to_path_buf();
        }
        if let Some(source) = &self.source {
            for dir in directory.ancestors() {
                let cached = self.markers.read().ok().and_then(|m| m.get(dir).copied());
                let marked = match cached {
                    Some(marked) => marked,
                    None => {
                        let marked = source.is_project_root(dir);
                        if let Ok(mut markers) = self.markers.write() {
                            markers.insert(dir.to_path_buf(), marked);
                        }
                        marked
                    }
                };
                if marked {
                    return dir.to_path_buf();
                }
            }
        }
        self.roots
            .iter()
            .filter(|r| directory.starts_with(r))
            .max_by_key(|r| r.components().count())
            .cloned()
            .unwrap_or_else(|| directory.to_path_buf())
    }

    /// The `conftest.py` files that apply to `file`, nearest first (a `conftest.py` itself
    /// starts with the one in the folder above). `None` when the index reads no files.
    pub fn chain(
        &self,
        file: &Path,
        settings_root: Option<&Path>,
    ) -> Option<Vec<Arc<ModuleFixtures>>> {
        self.source.as_ref()?;
        let root = self.root_for(file, settings_root);
        let mut directory = file.parent();
        if is_conftest(file) {
            directory = directory
                .and_then(Path::parent)
                .filter(|d| d.starts_with(&root));
        }
        let mut out = Vec::new();
        while let Some(dir) = directory {
            if let Some(module) = self.conftest(&dir.join("conftest.py")) {
                out.push(module);
            }
            if dir == root {
                break;
            }
            directory = dir.parent();
        }
        Some(out)
    }

    /// The plugins the project at `root` declares that Proctor knows no fixtures of.
    pub fn project_plugins(&self, root: &Path) -> Arc<ProjectPlugins> {
        let Some(source) = &self.source else {
            return Arc::default();
        };
        let existing = self.projects.read().ok().and_then(|p| p.get(root).cloned());
        let cell = match existing {
            Some(cell) => cell,
            None => match self.projects.write() {
                Ok(mut projects) => projects.entry(root.to_path_buf()).or_default().clone(),
                Err(_) => return Arc::default(),
            },
        };
        cell.get_or_init(|| {
            let mut hasher = xxhash_rust::xxh3::Xxh3::new();
            let mut unknown = Vec::new();
            for name in PROJECT_FILES {
                let path = root.join(name);
                let Some(text) = source.read(&path) else {
                    continue;
                };
                name.hash(&mut hasher);
                text.hash(&mut hasher);
                unknown.extend(
                    declared_plugins(&text)
                        .into_iter()
                        .filter(|p| !KNOWN_PLUGINS.contains(&p.as_str())),
                );
            }
            unknown.sort();
            unknown.dedup();
            Arc::new(ProjectPlugins {
                unknown,
                hash: hasher.finish(),
            })
        })
        .clone()
    }

    /// The known `conftest.py` files in folders below `directory`.
    pub fn conftests_below(&self, directory: &Path) -> Vec<Arc<ModuleFixtures>> {
        let paths: Vec<PathBuf> = self
            .known
            .read()
            .map(|k| {
                k.iter()
                    .filter(|p| {
                        p.parent()
                            .is_some_and(|d| d != directory && d.starts_with(directory))
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        paths.iter().filter_map(|p| self.conftest(p)).collect()
    }

    /// A hash of every `conftest.py` that can change the findings of `path`: those from its
    /// folder to the top of the file system and, for a `conftest.py`, those below it.
    pub fn fingerprint_for(&self, path: &Path) -> u64 {
        if self.source.is_none() {
            return 0;
        }
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        self.project_plugins(&self.root_for(path, None))
            .hash
            .hash(&mut hasher);
        let mut directory = path.parent();
        while let Some(dir) = directory {
            let conftest = dir.join("conftest.py");
            if conftest != path
                && let Some(module) = self.conftest(&conftest)
            {
                conftest.hash(&mut hasher);
                module.content_hash.hash(&mut hasher);
            }
            directory = dir.parent();
        }
        if is_conftest(path)
            && let Some(dir) = path.parent()
        {
            for module in self.conftests_below(dir) {
                module.path.hash(&mut hasher);
                module.content_hash.hash(&mut hasher);
            }
        }
        hasher.finish()
    }

    /// Tells the index a file changed. With `text` (an editor's unsaved buffer) that text is
    /// used; without, the file is read again from disk when next needed. Only `conftest.py`
    /// files and project markers matter; other paths are ignored.
    pub fn file_changed(&self, path: &Path, text: Option<&str>) {
        if is_conftest(path) {
            let cell: Cell = Arc::new(OnceLock::new());
            if let Some(text) = text {
                let _ = cell.set(Some(Arc::new(ModuleFixtures::parse(text, path))));
            }
            if let Ok(mut modules) = self.modules.write() {
                modules.insert(path.to_path_buf(), cell);
            }
            if let Ok(mut known) = self.known.write() {
                known.insert(path.to_path_buf());
            }
        } else {
            self.project_file_changed(path);
        }
    }

    fn project_file_changed(&self, path: &Path) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if is_project_marker(path)
            && let Ok(mut markers) = self.markers.write()
        {
            markers.clear();
        }
        if (is_project_marker(path)
            || name.ends_with(".txt")
            || matches!(name, "tox.ini" | "pytest.ini"))
            && let Ok(mut projects) = self.projects.write()
        {
            projects.clear();
        }
    }

    /// Tells the index a file was deleted.
    pub fn file_removed(&self, path: &Path) {
        if is_conftest(path) {
            let cell: Cell = Arc::new(OnceLock::new());
            let _ = cell.set(None);
            if let Ok(mut modules) = self.modules.write() {
                modules.insert(path.to_path_buf(), cell);
            }
            if let Ok(mut known) = self.known.write() {
                known.remove(path);
            }
        } else {
            self.project_file_changed(path);
        }
    }
}

fn is_project_marker(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
        matches!(
            n,
            "pyproject.toml" | "setup.cfg" | "setup.py" | ".git" | "proctor.toml"
        )
    })
}

/// Where a requested name resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution<'a> {
    /// A fixture method of a test class of the file (the class is where it is defined).
    Class(&'a FixtureDef, ClassId),
    /// A module-level fixture of the file.
    Module(&'a FixtureDef),
    /// A fixture of a `conftest.py`.
    Conftest(&'a FixtureDef, &'a ModuleFixtures),
    /// A name the file or a `conftest.py` imports or assigns: it may be a fixture.
    Maybe,
    Builtin(&'static BuiltinFixture),
    /// In the `known-fixtures` list (plugins).
    Plugin,
    /// Defined nowhere Proctor looked.
    Missing,
}

impl Resolution<'_> {
    /// Whether the name is provided (or may be).
    pub fn is_found(&self) -> bool {
        !matches!(self, Resolution::Missing)
    }
}

/// The fixture lookup for one file.
pub struct FixtureScope<'a> {
    pub module: &'a ModuleFixtures,
    /// Applicable `conftest.py` files, nearest first; `None` when unknown.
    pub chain: Option<Vec<Arc<ModuleFixtures>>>,
    pub known: &'a [String],
    /// Plugins the project declares whose fixtures Proctor does not know.
    pub unknown_plugins: bool,
}

/// Where the search starts: requesting fixture `name` from inside the fixture `name` itself
/// (an override) skips the level that defines it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requester {
    /// A test, or a fixture with another name.
    Plain,
    /// The fixture `name` defined in class `ClassId` of this file.
    ClassFixture(ClassId),
    /// The fixture `name` defined at module level of this file.
    ModuleFixture,
}

impl<'a> FixtureScope<'a> {
    /// Resolves `name` requested by a function in `class` (or at module level).
    pub fn resolve(
        &self,
        name: &str,
        class: Option<ClassId>,
        requester: Requester,
    ) -> Resolution<'_> {
        let mut skip_until_past: Option<Level> = match requester {
            Requester::Plain => None,
            Requester::ClassFixture(c) => Some(Level::Class(c)),
            Requester::ModuleFixture => Some(Level::Module),
        };
        if let Some(class) = class {
            let (order, _) = self.module.class_chain(class);
            for id in order {
                if let Some(skip) = skip_until_past {
                    if skip == Level::Class(id) {
                        skip_until_past = None;
                    }
                    continue;
                }
                if let Some(def) = self
                    .module
                    .classes
                    .get(id)
                    .and_then(|c| c.fixtures.iter().rev().find(|f| f.name == name))
                {
                    return Resolution::Class(def, id);
                }
            }
            if let Some(Level::Class(_)) = skip_until_past {
                skip_until_past = None;
            }
        }
        if skip_until_past.is_none() {
            if let Some(def) = self.module.fixture(name) {
                return Resolution::Module(def);
            }
            if self.module.may_provide(name) {
                return Resolution::Maybe;
            }
        }
        for conftest in self.chain.iter().flatten() {
            if let Some(def) = conftest.fixture(name) {
                return Resolution::Conftest(def, conftest);
            }
            if conftest.may_provide(name) {
                return Resolution::Maybe;
            }
        }
        if let Some(builtin) = builtin_fixture(name) {
            return Resolution::Builtin(builtin);
        }
        if self.known.iter().any(|k| k == name) {
            return Resolution::Plugin;
        }
        Resolution::Missing
    }

    /// Whether a `Missing` answer can be trusted for a function in `class`: every applicable
    /// `conftest.py` is known, no star import or `pytest_plugins` hides fixtures, every base
    /// class is in the file, and no `pytest_generate_tests` or unreadable mark supplies
    /// arguments.
    pub fn is_complete(&self, class: Option<ClassId>) -> bool {
        let Some(chain) = &self.chain else {
            return false;
        };
        if self.unknown_plugins || self.module.open || self.module.generates_tests {
            return false;
        }
        if chain.iter().any(|c| c.open || c.generates_tests) {
            return false;
        }
        if let Some(class) = class {
            let (order, complete) = self.module.class_chain(class);
            if !complete {
                return false;
            }
            if order.iter().any(|id| {
                self.module
                    .classes
                    .get(*id)
                    .is_none_or(|c| c.open || c.generates_tests)
            }) {
                return false;
            }
        }
        true
    }

    /// Whether some `pytest_generate_tests` hook may parametrize the arguments of tests here.
    pub fn generates_tests(&self, class: Option<ClassId>) -> bool {
        self.module.generates_tests
            || self.chain.iter().flatten().any(|c| c.generates_tests)
            || class.is_some_and(|class| {
                self.module.class_chain(class).0.iter().any(|id| {
                    self.module
                        .classes
                        .get(*id)
                        .is_some_and(|c| c.generates_tests)
                })
            })
    }

    /// Names the class-level and module-level `parametrize` marks supply to tests in `class`.
    pub fn parametrized(&self, class: Option<ClassId>) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .module
            .parametrized
            .iter()
            .map(String::as_str)
            .collect();
        if let Some(class) = class {
            for id in self.module.class_chain(class).0 {
                if let Some(c) = self.module.classes.get(id) {
                    out.extend(c.parametrized.iter().map(String::as_str));
                }
            }
        }
        out
    }

    /// Every fixture name visible from `class`, for suggestions.
    pub fn visible_names(&self, class: Option<ClassId>) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        if let Some(class) = class {
            for id in self.module.class_chain(class).0 {
                if let Some(c) = self.module.classes.get(id) {
                    out.extend(c.fixtures.iter().map(|f| f.name.as_str()));
                }
            }
        }
        out.extend(self.module.fixtures.iter().map(|f| f.name.as_str()));
        for conftest in self.chain.iter().flatten() {
            out.extend(conftest.fixtures.iter().map(|f| f.name.as_str()));
        }
        out.extend(BUILTIN_FIXTURES.iter().map(|b| b.name));
        out.extend(self.known.iter().map(String::as_str));
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    Class(ClassId),
    Module,
}

/// Where a fixture is defined, for hover and go-to-definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixtureDefinition {
    pub name: String,
    pub origin: FixtureOrigin,
    /// The defining file; `None` for built-in and plugin fixtures.
    pub path: Option<PathBuf>,
    /// The fixture function's name in the defining file (byte offsets of that file).
    pub range: TextRange,
    /// 0-based line of the definition in that file.
    pub line: usize,
    pub scope: String,
    pub docstring: Option<String>,
}

/// The kind of place a fixture comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixtureOrigin {
    /// A fixture method of class `name` in the requesting file.
    Class(String),
    /// A module-level fixture of the requesting file.
    Module,
    Conftest,
    Builtin,
    Plugin,
}

impl FixtureDefinition {
    pub(crate) fn from_resolution(
        name: &str,
        resolution: &Resolution,
        module: &ModuleFixtures,
    ) -> Option<FixtureDefinition> {
        let defined =
            |def: &FixtureDef, origin: FixtureOrigin, path: Option<PathBuf>| FixtureDefinition {
                name: def.name.clone(),
                origin,
                path,
                range: def.range,
                line: def.line,
                scope: def.scope.clone(),
                docstring: def.docstring.clone(),
            };
        Some(match resolution {
            Resolution::Class(def, id) => defined(
                def,
                FixtureOrigin::Class(
                    module
                        .classes
                        .get(*id)
                        .map(|c| c.name.clone())
                        .unwrap_or_default(),
                ),
                module.path.clone(),
            ),
            Resolution::Module(def) => defined(def, FixtureOrigin::Module, module.path.clone()),
            Resolution::Conftest(def, conftest) => {
                defined(def, FixtureOrigin::Conftest, conftest.path.clone())
            }
            Resolution::Builtin(builtin) => FixtureDefinition {
                name: builtin.name.to_string(),
                origin: FixtureOrigin::Builtin,
                path: None,
                range: TextRange::default(),
                line: 0,
                scope: builtin.scope.to_string(),
                docstring: Some(builtin.summary.to_string()),
            },
            Resolution::Plugin => FixtureDefinition {
                name: name.to_string(),
                origin: FixtureOrigin::Plugin,
                path: None,
                range: TextRange::default(),
                line: 0,
                scope: "unknown".to_string(),
                docstring: None,
            },
            Resolution::Maybe | Resolution::Missing => return None,
        })
    }

    /// Markdown for a hover: where the fixture is defined, its scope and its docstring.
    /// `relative_to` shortens the path (the workspace folder).
    pub fn hover_markdown(&self, relative_to: Option<&Path>) -> String {
        let place = match (&self.origin, &self.path) {
            (FixtureOrigin::Builtin, _) => "built into pytest".to_string(),
            (FixtureOrigin::Plugin, _) => {
                "provided by a plugin (listed in `known-fixtures`)".to_string()
            }
            (origin, Some(path)) => {
                let shown = relative_to
                    .and_then(|r| path.strip_prefix(r).ok())
                    .unwrap_or(path);
                let within = match origin {
                    FixtureOrigin::Class(class) => format!(" (class `{class}`)"),
                    _ => String::new(),
                };
                format!("defined in `{}:{}`{within}", shown.display(), self.line + 1)
            }
            (_, None) => "defined in this file".to_string(),
        };
        let mut out = format!(
            "**fixture `{}`** — {place}, scope `{}`",
            self.name, self.scope
        );
        if let Some(doc) = self.docstring.as_deref().filter(|d| !d.is_empty()) {
            out.push_str("\n\n");
            out.push_str(doc);
        }
        out
    }
}

/// The fixture requested at `offset` of `file`: a fixture parameter of a pytest test or
/// fixture, or a name in its `usefixtures` mark.
pub fn definition_at(
    index: &FixtureIndex,
    file: &crate::model::FileModel,
    offset: usize,
    settings: &crate::settings::Settings,
) -> Option<FixtureDefinition> {
    use super::pytest_syntax::{Decoration, decoration, function_facts, string_value};
    use crate::syntax::{Field, Kind, field, kind};

    let unit = file
        .units
        .iter()
        .find(|u| TextRange::of(u.outer).contains(offset))?;
    let built = crate::unit::Unit::build(file, settings, *unit);
    let function = built.root();
    let ctx = crate::rule::FunctionContext {
        file,
        settings,
        unit: &built,
        function,
    };
    let facts = function_facts(&ctx)?;
    if let Some(class) = file.class(unit.class)
        && !matches!(class.kind, crate::model::ClassKind::PytestClass)
    {
        return None;
    }
    let name = if let Some(parameter) = facts
        .parameters
        .iter()
        .find(|p| p.range.contains(offset) || p.range.end == offset)
    {
        parameter.name.clone()
    } else {
        let decorator = function
            .decorators
            .iter()
            .find(|d| TextRange::of(**d).contains(offset))?;
        if !matches!(decoration(file, *decorator), Decoration::Usefixtures { .. }) {
            return None;
        }
        let call = decorator
            .named_child(0)
            .filter(|c| kind(*c) == Kind::Call)?;
        let arguments = field(call, Field::Arguments)?;
        let argument = crate::syntax::named_children(arguments)
            .find(|a| TextRange::of(*a).contains(offset))?;
        string_value(file.source, argument)?
    };
    let module = ModuleFixtures::from_file(file);
    let scope = FixtureScope {
        module: &module,
        chain: file
            .path
            .as_deref()
            .and_then(|p| index.chain(p, settings.root.as_deref())),
        known: &settings.known_fixtures,
        unknown_plugins: false,
    };
    if facts.parametrized.contains(&name) || scope.parametrized(unit.class).contains(&name.as_str())
    {
        return None;
    }
    let requester = match &facts.fixture {
        Some(spec) if spec.name == name => match unit.class {
            Some(class) => Requester::ClassFixture(class),
            None => Requester::ModuleFixture,
        },
        _ => Requester::Plain,
    };
    let resolution = scope.resolve(&name, unit.class, requester);
    FixtureDefinition::from_resolution(&name, &resolution, &module)
}

/// The fixture lookup for the file of a file check.
pub fn scope_for<'a>(
    ctx: &crate::rule::FileContext<'a, '_>,
    module: &'a ModuleFixtures,
) -> FixtureScope<'a> {
    let index = ctx.workspace.fixtures();
    let unknown_plugins = ctx.file.path.as_deref().is_some_and(|path| {
        !index
            .project_plugins(&index.root_for(path, None))
            .unknown
            .is_empty()
    });
    FixtureScope {
        unknown_plugins,
        module,
        chain: ctx.file.path.as_deref().and_then(|p| {
            ctx.workspace
                .fixtures()
                .chain(p, ctx.settings.root.as_deref())
        }),
        known: &ctx.settings.known_fixtures,
    }
}

/// Whether the fixture rules look at a function: a pytest test or a fixture, at module level
/// or in a pytest test class (never in a `unittest` class).
pub fn takes_fixtures(
    file: &crate::model::FileModel,
    summary: &crate::summary::FunctionSummary,
) -> bool {
    use crate::model::{ClassKind, FunctionKind, TestStyle};
    if summary.pytest.is_none() || summary.parent.is_some() {
        return false;
    }
    if !matches!(
        summary.kind,
        FunctionKind::Test(TestStyle::Pytest) | FunctionKind::Fixture
    ) {
        return false;
    }
    match file.class(summary.class) {
        None => true,
        Some(class) => class.kind == ClassKind::PytestClass && class.parent.is_none(),
    }
}

/// The edit distance between two short names (for "did you mean").
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_is_shared_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<FixtureIndex>();
        shareable::<crate::workspace::Workspace>();
    }

    #[test]
    fn plugins_declared_in_configuration() {
        let pyproject = r#"
[project.optional-dependencies]
test = ["pytest>=8", "pytest-cov>=4", "pytest_httpbin==2.1.0", "pytest-django[extra]~=4.5"]

[tool.pytest.ini_options]
addopts = ["-rfEX", "-p", "pytester", "-p", "no:cacheprovider", "-pmyplugin"]
"#;
        assert_eq!(
            declared_plugins(pyproject),
            vec![
                "myplugin",
                "pytest-cov",
                "pytest-django",
                "pytest-httpbin",
                "pytester"
            ]
        );
        assert_eq!(
            declared_plugins("pytest==9.2.0\npytest-lsp==1.0.1\nruff==0.17.6\n"),
            vec!["pytest-lsp"]
        );
        // File names are not distributions.
        assert!(declared_plugins("commands = python pytest_mock_integration.py").is_empty());
    }
}
