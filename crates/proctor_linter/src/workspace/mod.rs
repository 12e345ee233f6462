//! What Proctor knows about the other files of the workspace.
//!
//! Test classes inherit helpers from base classes and mixins in other files, and pytest tests
//! receive fixtures from `conftest.py` files up the tree. Rules that follow those links read
//! them from a [`Workspace`]. An empty workspace is always valid: it means "nothing is known
//! outside this file", and rules that would need to know stay silent rather than guess.
//!
//! # The class index
//!
//! A workspace indexes classes lazily. When a rule asks for the method resolution order of a
//! class (through [`FileClasses`]), each base is resolved through the imports of the module
//! that names it: the dotted path is mapped to a file under the module's *source root* (the
//! directory above its top package; see [`modules`]), that file is read and parsed once, and
//! its classes are recorded as [`ClassInfo`]s: bases, and for each method the `self.`
//! attributes it reads, the `self.` and `super()` methods it calls, and whether it asserts.
//! Framework classes (`unittest.TestCase`, testtools, oslotest, fixtures) are known without
//! reading anything. A base that cannot be resolved — a third-party class, a syntax the index
//! does not follow, a missing file, an inheritance cycle — becomes [`MroEntry::Unknown`], and
//! queries that would have to look past it answer "unknown".
//!
//! A workspace is shared by the threads of a run: every module is parsed at most once (a
//! per-file cell, filled by the first thread that needs it, outside the index's lock), and
//! cloning a `Workspace` shares its index.
//!
//! # Keeping it current
//!
//! The language server calls [`Workspace::file_changed`] when a Python file is edited, saved
//! or created, and [`Workspace::file_removed`] when one is deleted; later queries see the new
//! text and [`Workspace::fingerprint_for`] of every file under the same source root changes.
//!
//! This module never touches the file system itself: it reads through a [`SourceProvider`],
//! which [`crate::discovery`] implements.
//!
//! # The fixture index
//!
//! pytest fixtures come from the test's class, its module, the `conftest.py` files up to the
//! project root, pytest itself and plugins: [`fixtures`] holds the parsed `conftest.py` files
//! (each parsed at most once, through its own [`FileSource`]) and the lookup, and
//! [`Workspace::fixture_definition`] answers hover and go-to-definition on a fixture
//! parameter. Its facts are part of [`Workspace::fingerprint_for`], and
//! [`Workspace::file_changed`] / [`Workspace::file_removed`] keep it current too.

mod classes;
pub mod fixtures;
mod headers;
pub mod modules;
pub mod pytest_syntax;

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

pub use classes::{
    BaseRef, ClassInfo, FRAMEWORK_CLASSES, FoundMethod, FrameworkClass, MAX_MRO_CLASSES,
    MethodFacts, MethodLookup, ModuleInfo, Mro, MroEntry, Reach, TEST_CASE_METHODS,
    framework_class, linearize,
};
pub use fixtures::{FileSource, FixtureDefinition, FixtureIndex, FixtureOrigin};
pub use headers::{Header, HeaderIndex};
pub use modules::ModuleLocation;

use crate::model::{ClassId, FileModel};
use crate::summary::FunctionSummary;

/// How many import or alias hops a dotted path is followed through.
const MAX_HOPS: usize = 8;

/// The most text the subclass scan of one source root reads (Nova's whole tree is 33 MB).
const MAX_SCANNED_BYTES: usize = 256 * 1024 * 1024;

/// Reads the workspace's files for the index. Implemented over the file system by
/// [`crate::discovery`]; tests may implement it in memory.
pub trait SourceProvider: Send + Sync {
    /// The text of a Python file; `None` when it is missing, unreadable, not UTF-8, or too large
    /// to be worth indexing.
    fn read(&self, path: &Path) -> Option<String>;
    /// Whether `path` is an existing file.
    fn is_file(&self, path: &Path) -> bool;
    /// A stamp of the file's metadata (modification time and size) that changes when the file
    /// does; `None` when it does not exist.
    fn stamp(&self, path: &Path) -> Option<u64>;
    /// The Python files under `root` with their stamps. `complete` is false when the listing
    /// was cut short by a bound.
    fn python_files(&self, root: &Path) -> Listing;
}

/// The Python files of a source root.
#[derive(Clone, Debug, Default)]
pub struct Listing {
    pub files: Vec<(PathBuf, u64)>,
    pub complete: bool,
}

/// Facts gathered from the files around the one being checked.
///
/// Built once per command-line run (see [`crate::discovery::build_workspace`]) and kept
/// current by the language server as files change. Clones share the same index.
#[derive(Clone, Default)]
pub struct Workspace {
    index: Option<Arc<Index>>,
    fixtures: Arc<FixtureIndex>,
}

impl fmt::Debug for Workspace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workspace")
            .field("indexed", &self.index.is_some())
            .field("fixtures", &self.fixtures)
            .finish()
    }
}

type ModuleCell = Arc<OnceLock<Option<Arc<ModuleInfo>>>>;
type HeaderCell = Arc<OnceLock<Mutex<HeaderIndex>>>;

struct Index {
    provider: Box<dyn SourceProvider>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Unsaved editor text, by path.
    overlays: HashMap<PathBuf, Arc<str>>,
    /// Parsed modules, by file.
    modules: HashMap<PathBuf, ModuleCell>,
    /// Directory → whether it holds `__init__.py`.
    package_dirs: HashMap<PathBuf, bool>,
    /// (source root, module name) → the file that defines it.
    module_files: HashMap<(PathBuf, String), Option<PathBuf>>,
    /// Source root → its Python files and their stamps.
    listings: HashMap<PathBuf, RootFiles>,
    /// Source root → the class headers of its files (scanned once, by the first thread that
    /// needs them, outside the index's lock).
    headers: HashMap<PathBuf, HeaderCell>,
}

#[derive(Clone, Debug, Default)]
struct RootFiles {
    files: BTreeMap<PathBuf, u64>,
    complete: bool,
    fingerprint: Option<u64>,
}

impl Workspace {
    /// A workspace that knows nothing beyond the file being checked.
    pub fn empty() -> Self {
        Self::default()
    }

    /// A workspace that reads files through `provider`, lazily.
    pub fn new(provider: impl SourceProvider + 'static) -> Self {
        Self {
            index: Some(Arc::new(Index {
                provider: Box::new(provider),
                state: Mutex::new(State::default()),
            })),
            fixtures: Arc::default(),
        }
    }

    /// This workspace with a fixture index (see [`fixtures`]).
    pub fn with_fixtures(mut self, fixtures: FixtureIndex) -> Self {
        self.fixtures = Arc::new(fixtures);
        self
    }

    /// The `conftest.py` index.
    pub fn fixtures(&self) -> &FixtureIndex {
        &self.fixtures
    }

    /// The fixture a parameter (or a `usefixtures` name) at `offset` of `source` requests:
    /// where it is defined, its scope and docstring. For hover and go-to-definition; the
    /// language server, which has the file parsed already, can call
    /// [`fixtures::definition_at`] directly.
    pub fn fixture_definition(
        &self,
        path: &Path,
        source: &str,
        offset: usize,
        settings: &crate::settings::Settings,
    ) -> Option<FixtureDefinition> {
        let tree = crate::parse::parse(source, None);
        let file = FileModel::build(&tree, source, Some(path));
        fixtures::definition_at(&self.fixtures, &file, offset, settings)
    }

    /// Whether this workspace can read other files (it is not [`Workspace::empty`]).
    pub fn is_indexed(&self) -> bool {
        self.index.is_some()
    }

    /// A hash of the workspace facts that can change the findings of `path`, for caches: the
    /// paths, modification times and sizes of the Python files under `path`'s source root, and
    /// any unsaved text there; and the `conftest.py` files and plugin declarations the
    /// file's fixtures depend on. Cheap after the first call for a root.
    pub fn fingerprint_for(&self, path: &Path) -> u64 {
        self.class_fingerprint(path) ^ self.fixtures.fingerprint_for(path).rotate_left(29)
    }

    fn class_fingerprint(&self, path: &Path) -> u64 {
        let Some(index) = &self.index else {
            return 0;
        };
        let Some(location) = self.location(path) else {
            return 0;
        };
        let root = location.root;
        let mut state = index.lock();
        if !state.listings.contains_key(&root) {
            drop(state);
            let listing = index.provider.python_files(&root);
            state = index.lock();
            state
                .listings
                .entry(root.clone())
                .or_insert_with(|| RootFiles {
                    files: listing.files.into_iter().collect(),
                    complete: listing.complete,
                    fingerprint: None,
                });
        }
        let overlays: Vec<(PathBuf, u64)> = state
            .overlays
            .iter()
            .filter(|(p, _)| p.starts_with(&root))
            .map(|(p, text)| (p.clone(), xxhash_rust::xxh3::xxh3_64(text.as_bytes())))
            .collect();
        let Some(files) = state.listings.get_mut(&root) else {
            return 0;
        };
        if files.fingerprint.is_none() {
            let mut hasher = xxhash_rust::xxh3::Xxh3::new();
            root.hash(&mut hasher);
            files.complete.hash(&mut hasher);
            for (file, stamp) in &files.files {
                file.hash(&mut hasher);
                stamp.hash(&mut hasher);
            }
            files.fingerprint = Some(hasher.finish());
        }
        let mut fingerprint = files.fingerprint.unwrap_or(0);
        if !files.complete {
            // A listing cut short cannot vouch for the files it left out.
            fingerprint ^= std::process::id() as u64
                ^ std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64);
        }
        let mut sorted = overlays;
        sorted.sort();
        for (file, hash) in sorted {
            let mut hasher = xxhash_rust::xxh3::Xxh3::new();
            file.hash(&mut hasher);
            hash.hash(&mut hasher);
            fingerprint ^= hasher.finish();
        }
        fingerprint
    }

    /// Tells the index that a file was created, edited or saved. With `unsaved_text`, that
    /// text is what the index reads for the file from now on (an editor buffer); with `None`,
    /// the file is read from disk again. Queries made afterwards see the change, and the
    /// fingerprints of files under the same source root change.
    pub fn file_changed(&self, path: &Path, unsaved_text: Option<&str>) {
        self.fixtures.file_changed(path, unsaved_text);
        let Some(index) = &self.index else { return };
        let stamp = match unsaved_text {
            Some(text) => Some(xxhash_rust::xxh3::xxh3_64(text.as_bytes()) | 1 << 63),
            None => index.provider.stamp(path),
        };
        {
            let mut state = index.lock();
            match unsaved_text {
                Some(text) => {
                    state.overlays.insert(path.to_path_buf(), Arc::from(text));
                }
                None => {
                    state.overlays.remove(path);
                }
            }
            Self::forget(&mut state, path, stamp);
        }
        self.refresh_headers(path);
    }

    /// Tells the index that a file was deleted (any unsaved text for it is dropped too).
    pub fn file_removed(&self, path: &Path) {
        self.fixtures.file_removed(path);
        let Some(index) = &self.index else { return };
        {
            let mut state = index.lock();
            state.overlays.remove(path);
            Self::forget(&mut state, path, None);
        }
        for header in self.header_cells_containing(path) {
            if let Some(Ok(mut header)) = header.get().map(Mutex::lock) {
                header.remove_file(path);
            }
        }
    }

    fn forget(state: &mut State, path: &Path, stamp: Option<u64>) {
        state.modules.remove(path);
        // A new or deleted file (or `__init__.py`) can change where modules are found.
        state.module_files.clear();
        if path.file_name().is_some_and(|n| n == "__init__.py") {
            state.package_dirs.clear();
        }
        for (root, files) in state.listings.iter_mut() {
            if path.starts_with(root) {
                match stamp {
                    Some(stamp) => {
                        files.files.insert(path.to_path_buf(), stamp);
                    }
                    None => {
                        files.files.remove(path);
                    }
                }
                files.fingerprint = None;
            }
        }
    }

    /// The header indexes of the source roots that contain `path`.
    fn header_cells_containing(&self, path: &Path) -> Vec<HeaderCell> {
        let Some(index) = &self.index else {
            return Vec::new();
        };
        let state = index.lock();
        state
            .headers
            .iter()
            .filter(|(root, _)| path.starts_with(root))
            .map(|(_, h)| h.clone())
            .collect()
    }

    fn refresh_headers(&self, path: &Path) {
        let headers: Vec<HeaderCell> = self
            .header_cells_containing(path)
            .into_iter()
            .filter(|cell| cell.get().is_some())
            .collect();
        if headers.is_empty() {
            return;
        }
        let scanned = self.text_of(path).map(|text| headers::scan(&text));
        for header in headers {
            if let Some(Ok(mut header)) = header.get().map(Mutex::lock) {
                match &scanned {
                    Some(found) => header.set_file(path, found.clone()),
                    None => header.remove_file(path),
                }
            }
        }
    }

    /// Where `file` sits: its source root and module name.
    pub fn location(&self, file: &Path) -> Option<ModuleLocation> {
        let index = self.index.as_ref()?;
        modules::locate(file, |dir| self.is_package_dir(index, dir))
    }

    fn is_package_dir(&self, index: &Index, dir: &Path) -> bool {
        if let Some(known) = index.lock().package_dirs.get(dir) {
            return *known;
        }
        let init = dir.join("__init__.py");
        let is_package = !dir.as_os_str().is_empty()
            && (index.lock().overlays.contains_key(&init) || index.provider.is_file(&init));
        index
            .lock()
            .package_dirs
            .insert(dir.to_path_buf(), is_package);
        is_package
    }

    /// The text the index reads for `path`: unsaved editor text, else the file.
    fn text_of(&self, path: &Path) -> Option<Arc<str>> {
        let index = self.index.as_ref()?;
        if let Some(text) = index.lock().overlays.get(path) {
            return Some(text.clone());
        }
        index.provider.read(path).map(Arc::from)
    }

    /// The file that defines module `name` under `root`.
    fn module_file(&self, root: &Path, name: &str) -> Option<PathBuf> {
        let index = self.index.as_ref()?;
        let key = (root.to_path_buf(), name.to_string());
        if let Some(known) = index.lock().module_files.get(&key) {
            return known.clone();
        }
        let found = modules::candidate_files(root, name)
            .into_iter()
            .find(|candidate| {
                index.lock().overlays.contains_key(candidate) || index.provider.is_file(candidate)
            });
        index.lock().module_files.insert(key, found.clone());
        found
    }

    /// The parsed module of `path` (parsed at most once until the file changes).
    pub fn module(&self, path: &Path) -> Option<Arc<ModuleInfo>> {
        let index = self.index.as_ref()?;
        let cell: ModuleCell = index
            .lock()
            .modules
            .entry(path.to_path_buf())
            .or_default()
            .clone();
        cell.get_or_init(|| {
            let text = self.text_of(path)?;
            let location = self.location(path);
            Some(Arc::new(ModuleInfo::from_source(
                path,
                location.as_ref(),
                &text,
            )))
        })
        .clone()
    }

    /// Resolves a base written in `importing_file` (`integrated_helpers.InstanceHelperMixin`,
    /// a bare imported name, a relative import's path) to a class of the workspace, through
    /// that file's `imports`. `None` for framework classes, classes outside the workspace, and
    /// anything the index cannot follow.
    pub fn resolve_class(
        &self,
        importing_file: &Path,
        imports: &crate::imports::Imports,
        base: &str,
    ) -> Option<Arc<ClassInfo>> {
        let location = self.location(importing_file)?;
        let mut parts = base.splitn(2, '.');
        let first = parts.next()?;
        let bound = imports.get(first)?;
        let dotted = match parts.next() {
            Some(rest) => format!("{bound}.{rest}"),
            None => bound.to_string(),
        };
        let dotted = location.absolute(&dotted)?;
        match self.resolve_dotted(Some(&location.root), &dotted, None) {
            MroEntry::Class(class) => Some(class),
            _ => None,
        }
    }

    /// The method resolution order of a class of the workspace.
    pub fn mro(&self, class: &Arc<ClassInfo>) -> Mro {
        linearize(class.clone(), |c| self.bases_of(c, None))
    }

    /// Looks `name` up on a class of the workspace, following its method resolution order.
    pub fn lookup_method(&self, class: &Arc<ClassInfo>, name: &str) -> MethodLookupOwned {
        let mro = self.mro(class);
        match mro.lookup(name) {
            MethodLookup::Found(found) => MethodLookupOwned::Found(found.facts.clone()),
            MethodLookup::Attribute => MethodLookupOwned::Attribute,
            MethodLookup::NotDefined => MethodLookupOwned::NotDefined,
            MethodLookup::Unknown => MethodLookupOwned::Unknown,
        }
    }

    /// Resolves the bases of `class`. `local` is the module of the file being checked, whose
    /// current text wins over the file on disk.
    fn bases_of(&self, class: &ClassInfo, local: Option<&Arc<ModuleInfo>>) -> Vec<MroEntry> {
        // Classes of the file being checked carry their id in it; the others come from disk.
        let is_local = local.is_some() && class.local_id.is_some();
        class
            .bases
            .iter()
            .map(|base| match base {
                BaseRef::Local(name) => {
                    let module = if is_local {
                        local.cloned()
                    } else {
                        class.path.as_deref().and_then(|p| self.module(p))
                    };
                    match module {
                        Some(module) => self.resolve_in_module(
                            &module,
                            name,
                            class.root.as_deref(),
                            local,
                            MAX_HOPS,
                        ),
                        None => MroEntry::Unknown(name.clone()),
                    }
                }
                BaseRef::Dotted(path) => self.resolve_dotted(class.root.as_deref(), path, local),
                BaseRef::Wildcard { name, modules } => {
                    for module in modules {
                        let entry = self.resolve_dotted(
                            class.root.as_deref(),
                            &format!("{module}.{name}"),
                            local,
                        );
                        if !matches!(entry, MroEntry::Unknown(_)) {
                            return entry;
                        }
                    }
                    MroEntry::Unknown(name.clone())
                }
                BaseRef::Opaque(text) => MroEntry::Unknown(text.clone()),
            })
            .collect()
    }

    fn resolve_in_module(
        &self,
        module: &ModuleInfo,
        name: &str,
        root: Option<&Path>,
        local: Option<&Arc<ModuleInfo>>,
        hops: usize,
    ) -> MroEntry {
        if let Some(class) = module.class(name) {
            return MroEntry::Class(class.clone());
        }
        if hops > 0
            && !module.ambiguous.contains(name)
            && let Some(target) = module.bindings.get(name)
        {
            return self.resolve_dotted_hops(root, target, local, hops - 1);
        }
        MroEntry::Unknown(name.to_string())
    }

    fn resolve_dotted(
        &self,
        root: Option<&Path>,
        dotted: &str,
        local: Option<&Arc<ModuleInfo>>,
    ) -> MroEntry {
        self.resolve_dotted_hops(root, dotted, local, MAX_HOPS)
    }

    /// Resolves an absolute dotted path: a framework class, or the longest module prefix that
    /// is a file under `root`, then the rest inside it (following its imports).
    fn resolve_dotted_hops(
        &self,
        root: Option<&Path>,
        dotted: &str,
        local: Option<&Arc<ModuleInfo>>,
        hops: usize,
    ) -> MroEntry {
        if let Some(framework) = framework_class(dotted) {
            return MroEntry::Framework(framework);
        }
        let unknown = || MroEntry::Unknown(dotted.to_string());
        let Some(root) = root else { return unknown() };
        let parts: Vec<&str> = dotted.split('.').collect();
        for split in (1..parts.len()).rev() {
            let module_name = parts[..split].join(".");
            let rest = &parts[split..];
            let module = match local {
                Some(local)
                    if local
                        .location
                        .as_ref()
                        .is_some_and(|l| l.name == module_name && l.root == root) =>
                {
                    Some(local.clone())
                }
                _ => self
                    .module_file(root, &module_name)
                    .and_then(|file| self.module(&file)),
            };
            let Some(module) = module else { continue };
            return match rest {
                [name] => self.resolve_in_module(&module, name, Some(root), local, hops),
                [first, more @ ..] if hops > 0 => match module.bindings.get(*first) {
                    Some(target) => self.resolve_dotted_hops(
                        Some(root),
                        &format!("{target}.{}", more.join(".")),
                        local,
                        hops - 1,
                    ),
                    None => unknown(),
                },
                _ => unknown(),
            };
        }
        unknown()
    }

    /// Whether a class named `name` is named as a base by a class of another file under the
    /// source root of `file`: `Some(true)`/`Some(false)`, or `None` when the workspace cannot
    /// tell (an empty workspace, a file without a path, a listing cut short).
    pub fn subclassed_elsewhere(&self, file: &Path, name: &str) -> Option<bool> {
        let index = self.index.as_ref()?;
        let root = self.location(file)?.root;
        let cell: HeaderCell = index
            .lock()
            .headers
            .entry(root.clone())
            .or_default()
            .clone();
        let headers = cell
            .get_or_init(|| Mutex::new(self.scan_root(&root)))
            .lock()
            .ok()?;
        if !headers.complete {
            return None;
        }
        Some(headers.is_base_elsewhere(name, Some(file)))
    }

    fn scan_root(&self, root: &Path) -> HeaderIndex {
        let Some(index) = &self.index else {
            return HeaderIndex::default();
        };
        let listing = index.provider.python_files(root);
        let mut headers = HeaderIndex::default();
        headers.complete = listing.complete;
        let overlays: Vec<PathBuf> = index
            .lock()
            .overlays
            .keys()
            .filter(|p| p.starts_with(root))
            .cloned()
            .collect();
        let mut paths: Vec<PathBuf> = listing.files.into_iter().map(|(p, _)| p).collect();
        paths.extend(overlays);
        paths.sort();
        paths.dedup();
        let mut budget = MAX_SCANNED_BYTES;
        for path in paths {
            if let Some(text) = self.text_of(&path) {
                let Some(left) = budget.checked_sub(text.len()) else {
                    // A tree this large (a home directory taken for a source root) is not
                    // worth reading: the index says it does not know.
                    headers.complete = false;
                    break;
                };
                budget = left;
                headers.set_file(&path, headers::scan(&text));
            }
        }
        headers
    }
}

/// [`MethodLookup`] with the facts owned, for callers that do not keep the [`Mro`].
#[derive(Clone, Debug)]
pub enum MethodLookupOwned {
    Found(MethodFacts),
    Attribute,
    NotDefined,
    Unknown,
}

impl Index {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while the lock was held cannot leave the maps half-updated in a way that
        // matters (each update is a single insert or remove), so a poisoned lock is reused.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The classes of the file being checked, seen through the workspace: rules ask it for the
/// method resolution order of a class of the file, whose in-file bases come from the file's
/// current text and the others from the index.
pub struct FileClasses {
    /// A clone: it shares the index.
    workspace: Workspace,
    path: Option<PathBuf>,
    module: Arc<ModuleInfo>,
    classes: Vec<Arc<ClassInfo>>,
    /// Class name → how many classes of this file name it as a base.
    local_bases: HashMap<String, usize>,
    /// Each class's method resolution order, computed on first use (several rules ask for the
    /// same ones, some once per method).
    mros: Vec<OnceCell<Mro>>,
}

/// The order of a class the file does not have.
static NO_MRO: Mro = Mro {
    entries: Vec::new(),
};

impl FileClasses {
    pub fn new(workspace: &Workspace, file: &FileModel, functions: &[FunctionSummary]) -> Self {
        let location = file.path.as_deref().and_then(|p| workspace.location(p));
        let (module, classes) = ModuleInfo::from_file(file, location.as_ref(), functions);
        let mut local_bases: HashMap<String, usize> = HashMap::new();
        for class in &file.classes {
            for base in &class.bases {
                let last = base.text.rsplit('.').next().unwrap_or(&base.text);
                *local_bases.entry(last.to_string()).or_default() += 1;
            }
        }
        Self {
            workspace: workspace.clone(),
            path: file.path.clone(),
            module: Arc::new(module),
            mros: classes.iter().map(|_| OnceCell::new()).collect(),
            classes,
            local_bases,
        }
    }

    /// The index's view of a class of this file.
    pub fn class(&self, id: ClassId) -> Option<&Arc<ClassInfo>> {
        self.classes.get(id)
    }

    /// The method resolution order of a class of this file (computed once).
    pub fn mro(&self, id: ClassId) -> &Mro {
        let (Some(class), Some(cell)) = (self.classes.get(id), self.mros.get(id)) else {
            return &NO_MRO;
        };
        cell.get_or_init(|| {
            linearize(class.clone(), |c| {
                self.workspace.bases_of(c, Some(&self.module))
            })
        })
    }

    /// Whether any class — of this file, or of another file under its source root — names
    /// the class as a base. `None` when the workspace cannot tell.
    pub fn is_subclassed(&self, id: ClassId) -> Option<bool> {
        let class = self.classes.get(id)?;
        if self.local_bases.get(&class.name).is_some_and(|n| *n > 0) {
            return Some(true);
        }
        self.workspace
            .subclassed_elsewhere(self.path.as_deref()?, &class.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An in-memory tree of files.
    struct Memory(HashMap<PathBuf, String>);

    impl SourceProvider for Memory {
        fn read(&self, path: &Path) -> Option<String> {
            self.0.get(path).cloned()
        }
        fn is_file(&self, path: &Path) -> bool {
            self.0.contains_key(path)
        }
        fn stamp(&self, path: &Path) -> Option<u64> {
            self.0.get(path).map(|t| t.len() as u64)
        }
        fn python_files(&self, root: &Path) -> Listing {
            let mut files: Vec<(PathBuf, u64)> = self
                .0
                .iter()
                .filter(|(p, _)| p.starts_with(root))
                .map(|(p, t)| (p.clone(), t.len() as u64))
                .collect();
            files.sort();
            Listing {
                files,
                complete: true,
            }
        }
    }

    fn memory(files: &[(&str, &str)]) -> Workspace {
        Workspace::new(Memory(
            files
                .iter()
                .map(|(p, t)| (PathBuf::from(p), t.to_string()))
                .collect(),
        ))
    }

    #[test]
    fn unsaved_text_replaces_the_file_and_changes_fingerprints() {
        let workspace = memory(&[
            ("/r/pkg/__init__.py", ""),
            (
                "/r/pkg/base.py",
                "class Base:\n    def helper(self):\n        return self.a\n",
            ),
            ("/r/pkg/test_x.py", "from pkg import base\n"),
        ]);
        let test = Path::new("/r/pkg/test_x.py");
        let imports = {
            let tree = crate::parse::parse("from pkg import base\n", None);
            FileModel::build(&tree, "from pkg import base\n", Some(test)).imports
        };
        let before = workspace.fingerprint_for(test);
        let base = workspace
            .resolve_class(test, &imports, "base.Base")
            .expect("resolved");
        let MethodLookupOwned::Found(facts) = workspace.lookup_method(&base, "helper") else {
            panic!("helper is defined");
        };
        assert_eq!(facts.self_reads, vec!["a"]);

        workspace.file_changed(
            Path::new("/r/pkg/base.py"),
            Some("class Base:\n    def helper(self):\n        return self.b\n"),
        );
        assert_ne!(workspace.fingerprint_for(test), before);
        let base = workspace
            .resolve_class(test, &imports, "base.Base")
            .expect("resolved");
        let MethodLookupOwned::Found(facts) = workspace.lookup_method(&base, "helper") else {
            panic!("helper is defined");
        };
        assert_eq!(facts.self_reads, vec!["b"]);

        workspace.file_changed(Path::new("/r/pkg/base.py"), None);
        assert_eq!(workspace.fingerprint_for(test), before);
        let base = workspace
            .resolve_class(test, &imports, "base.Base")
            .expect("resolved");
        let MethodLookupOwned::Found(facts) = workspace.lookup_method(&base, "helper") else {
            panic!("helper is defined");
        };
        assert_eq!(facts.self_reads, vec!["a"]);

        workspace.file_removed(Path::new("/r/pkg/base.py"));
        // The provider still has it (this test's "disk" did not change), so removing only
        // forgets what was parsed; the next query reads it again.
        assert!(
            workspace
                .resolve_class(test, &imports, "base.Base")
                .is_some()
        );
    }

    #[test]
    fn an_empty_workspace_knows_nothing() {
        let workspace = Workspace::empty();
        assert_eq!(workspace.fingerprint_for(Path::new("/x/test_a.py")), 0);
        assert!(workspace.location(Path::new("/x/test_a.py")).is_none());
        assert_eq!(
            workspace.subclassed_elsewhere(Path::new("/x/test_a.py"), "A"),
            None
        );
        workspace.file_changed(Path::new("/x/a.py"), Some("x = 1\n"));
        workspace.file_removed(Path::new("/x/a.py"));
    }
}
