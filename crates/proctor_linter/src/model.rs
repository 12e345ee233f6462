//! The test model: what a test file contains, in the terms rules think in.
//!
//! Built once per parse, in two layers:
//!
//! - [`FileModel`] is the file's skeleton: the import table, the classes (with their bases,
//!   docstrings and class-level annotations, and what kind of test class each is), the names the
//!   module defines, and the *units* — the top-level functions and the methods of classes. It is
//!   built from the module's top-level statements and class bodies only, never from function
//!   bodies, so it is cheap to rebuild after every edit.
//! - [`Unit`] is one top-level function or method with every function nested in it. Building it
//!   walks the unit's whole subtree once, with an explicit stack, sorting the named nodes of each
//!   function into buckets by kind. Function rules read those buckets; they never walk trees
//!   themselves.
//!
//! A unit depends only on its own text and on the skeleton, which is what lets the language
//! server re-evaluate just the units an edit touched.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use tree_sitter::{Node, Tree};

use crate::imports::Imports;
use crate::settings::Settings;
use crate::syntax::{Field, Kind, field, kind};
use crate::text::{LineIndex, TextRange};

pub type ClassId = usize;

/// Which framework collects a test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TestStyle {
    /// Methods of `unittest.TestCase` subclasses (testtools, oslotest, project bases).
    Unittest,
    /// pytest functions and methods of pytest `Test*` classes.
    Pytest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClassKind {
    /// A `unittest.TestCase` subclass, recognised by its bases.
    TestCase,
    /// A pytest test class: named `Test*`, no `TestCase` base.
    PytestClass,
    /// A class whose `test*` methods run through the test classes that inherit from it.
    TestMixin,
    /// Any other class: its methods are helpers.
    Other,
}

/// The kind of `setUp`-family method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SetupKind {
    SetUp,
    TearDown,
    SetUpClass,
    TearDownClass,
    AsyncSetUp,
    AsyncTearDown,
    SetUpTestData,
    /// pytest's xunit-style `setup_method`, `setup_class`, `setup_function`, `setup_module`.
    PytestSetup,
    /// pytest's xunit-style `teardown_*`.
    PytestTeardown,
    SetUpModule,
    TearDownModule,
}

impl SetupKind {
    pub fn from_name(name: &str, in_class: bool) -> Option<SetupKind> {
        Some(match name {
            "setUp" if in_class => SetupKind::SetUp,
            "tearDown" if in_class => SetupKind::TearDown,
            "setUpClass" if in_class => SetupKind::SetUpClass,
            "tearDownClass" if in_class => SetupKind::TearDownClass,
            "asyncSetUp" if in_class => SetupKind::AsyncSetUp,
            "asyncTearDown" if in_class => SetupKind::AsyncTearDown,
            "setUpTestData" if in_class => SetupKind::SetUpTestData,
            "setup_method" | "setup_class" | "setup" if in_class => SetupKind::PytestSetup,
            "teardown_method" | "teardown_class" | "teardown" if in_class => {
                SetupKind::PytestTeardown
            }
            "setup_function" | "setup_module" if !in_class => SetupKind::PytestSetup,
            "teardown_function" | "teardown_module" if !in_class => SetupKind::PytestTeardown,
            "setUpModule" if !in_class => SetupKind::SetUpModule,
            "tearDownModule" if !in_class => SetupKind::TearDownModule,
            _ => return None,
        })
    }

    /// Whether this method prepares state (as opposed to tearing it down).
    pub fn is_setup(self) -> bool {
        matches!(
            self,
            SetupKind::SetUp
                | SetupKind::SetUpClass
                | SetupKind::AsyncSetUp
                | SetupKind::SetUpTestData
                | SetupKind::PytestSetup
                | SetupKind::SetUpModule
        )
    }
}

/// What a function is, for the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FunctionKind {
    /// Collected and run as a test.
    Test(TestStyle),
    /// A pytest fixture (`@pytest.fixture`).
    Fixture,
    /// A `setUp`/`tearDown`-family method or module function.
    Setup(SetupKind),
    /// Any other function or method of a test file.
    Helper,
    /// A function defined inside another function (a stub handed to a patch, a callback).
    Nested,
    /// A dunder method (`__init__`, `__eq__`…).
    Special,
}

impl FunctionKind {
    pub fn is_test(self) -> bool {
        matches!(self, FunctionKind::Test(_))
    }
}

/// A base class as written, and the path it resolves to through the imports.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Base {
    pub text: String,
    pub resolved: Option<String>,
    pub range: TextRange,
}

/// A class-level annotation `name: T` (with or without a value).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClassAnnotation {
    pub name: String,
    pub range: TextRange,
}

/// A class of a test file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Class {
    pub id: ClassId,
    pub name: String,
    pub name_range: TextRange,
    /// The `class` statement, decorators included.
    pub range: TextRange,
    pub parent: Option<ClassId>,
    pub bases: Vec<Base>,
    pub kind: ClassKind,
    pub docstring: Option<TextRange>,
    pub body: TextRange,
    /// Indentation of the body's statements.
    pub body_indent: String,
    /// Where a new first statement of the body goes (the start of the first statement's line);
    /// `after_docstring` is the start of the line after the docstring, if there is one.
    pub body_start: usize,
    pub after_docstring: Option<usize>,
    pub annotations: Vec<ClassAnnotation>,
    /// Attributes assigned in the class body (`x = 1`), besides annotations.
    pub class_attributes: Vec<String>,
    pub method_names: Vec<String>,
    pub has_init: bool,
}

impl Class {
    pub fn is_test_class(&self) -> bool {
        matches!(self.kind, ClassKind::TestCase | ClassKind::PytestClass)
    }
}

/// The skeleton of a test file: everything but function bodies.
#[derive(Debug)]
pub struct FileModel<'t> {
    pub tree: &'t Tree,
    pub source: &'t str,
    pub lines: LineIndex,
    /// The file's path, when it has one (the workspace resolves its imports from it).
    pub path: Option<std::path::PathBuf>,
    pub is_conftest: bool,
    pub imports: Imports,
    pub classes: Vec<Class>,
    /// Names bound at module level: classes, functions, assignments, imports.
    pub module_names: HashSet<String>,
    /// Module functions and class methods, in source order.
    pub units: Vec<UnitNode<'t>>,
    /// Statements outside every unit: module level and class bodies (not function bodies).
    pub module_statements: Vec<Node<'t>>,
    /// The decorators of classes (`@mock.patch(...)` on a `TestCase`), in source order. They
    /// are outside every unit and are not statements, so they are listed on their own.
    pub class_decorators: Vec<Node<'t>>,
    pub uses_pytest: bool,
    pub uses_unittest: bool,
}

/// The owned, position-tagged facts of a skeleton, without the tree: what a [`FileModel`]
/// knows besides its nodes. The language server keeps one from its last complete parse to
/// check a function parsed on its own ([`FileModel::from_skeleton`]) while the whole file's
/// reparse is still running.
#[derive(Clone, Debug)]
pub struct Skeleton {
    pub path: Option<std::path::PathBuf>,
    pub is_conftest: bool,
    pub imports: Imports,
    pub classes: Vec<Class>,
    pub module_names: HashSet<String>,
    pub uses_pytest: bool,
    pub uses_unittest: bool,
}

/// Where a unit starts in the tree.
#[derive(Clone, Copy, Debug)]
pub struct UnitNode<'t> {
    /// The `decorated_definition` when decorated, else the `function_definition`.
    pub outer: Node<'t>,
    pub function: Node<'t>,
    pub class: Option<ClassId>,
}

impl<'t> FileModel<'t> {
    pub fn build(tree: &'t Tree, source: &'t str, path: Option<&Path>) -> FileModel<'t> {
        Self::build_with_lines(tree, source, path, LineIndex::new(source))
    }

    /// [`FileModel::build`] with a line index the caller already has for `source` (the
    /// language server keeps one up to date across edits instead of rescanning the text).
    pub fn build_with_lines(
        tree: &'t Tree,
        source: &'t str,
        path: Option<&Path>,
        lines: LineIndex,
    ) -> FileModel<'t> {
        let is_conftest = path
            .and_then(Path::file_name)
            .is_some_and(|name| name == "conftest.py");
        let mut model = FileModel {
            tree,
            source,
            lines,
            path: path.map(Path::to_path_buf),
            is_conftest,
            imports: Imports::default(),
            classes: Vec::new(),
            module_names: HashSet::new(),
            units: Vec::new(),
            module_statements: Vec::new(),
            class_decorators: Vec::new(),
            uses_pytest: false,
            uses_unittest: false,
        };
        model.collect(tree.root_node());
        model.classify_classes();
        model.uses_pytest = model.imports.imports_module("pytest")
            || model
                .classes
                .iter()
                .any(|c| c.kind == ClassKind::PytestClass);
        model.uses_unittest = model.classes.iter().any(|c| c.kind == ClassKind::TestCase);
        model
    }

    /// A hash of every position-free fact of the skeleton that a function check may read:
    /// the imports, each class's name, kind, parent, bases, annotations, attributes and method
    /// names, the module's names, and the file's line ending and indentation unit (which
    /// fixes copy). A unit's function-check output depends only on its own text (from the
    /// start of its first line) and on this value, so the language server reuses it across
    /// edits that leave both unchanged.
    pub fn context_fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.imports.sorted().hash(&mut hasher);
        self.imports.wildcards.hash(&mut hasher);
        self.classes.len().hash(&mut hasher);
        for class in &self.classes {
            class.name.hash(&mut hasher);
            class.kind.hash(&mut hasher);
            class.parent.hash(&mut hasher);
            for base in &class.bases {
                base.text.hash(&mut hasher);
                base.resolved.hash(&mut hasher);
            }
            class.bases.len().hash(&mut hasher);
            for annotation in &class.annotations {
                annotation.name.hash(&mut hasher);
            }
            class.annotations.len().hash(&mut hasher);
            class.class_attributes.hash(&mut hasher);
            class.method_names.hash(&mut hasher);
            class.has_init.hash(&mut hasher);
            class.body_indent.hash(&mut hasher);
            class.docstring.is_some().hash(&mut hasher);
        }
        // The module's names form a set: combine their hashes in an order-free way.
        let mut names: u64 = 0;
        for name in &self.module_names {
            let mut one = std::collections::hash_map::DefaultHasher::new();
            name.hash(&mut one);
            names = names.wrapping_add(one.finish());
        }
        names.hash(&mut hasher);
        self.module_names.len().hash(&mut hasher);
        self.is_conftest.hash(&mut hasher);
        self.uses_pytest.hash(&mut hasher);
        self.uses_unittest.hash(&mut hasher);
        crate::text::line_ending(self.source).hash(&mut hasher);
        crate::fixes::indent_unit(self.source).hash(&mut hasher);
        hasher.finish()
    }

    /// The tree-free facts of this skeleton.
    pub fn skeleton(&self) -> Skeleton {
        Skeleton {
            path: self.path.clone(),
            is_conftest: self.is_conftest,
            imports: self.imports.clone(),
            classes: self.classes.clone(),
            module_names: self.module_names.clone(),
            uses_pytest: self.uses_pytest,
            uses_unittest: self.uses_unittest,
        }
    }

    /// A file model from saved skeleton facts and the given units (for instance one function
    /// parsed apart, its nodes positioned in `source`), for function checks: it has no module
    /// statements or class decorators (which only module checks read).
    pub fn from_skeleton(
        tree: &'t Tree,
        source: &'t str,
        lines: LineIndex,
        skeleton: Skeleton,
        units: Vec<UnitNode<'t>>,
    ) -> FileModel<'t> {
        FileModel {
            tree,
            source,
            lines,
            path: skeleton.path,
            is_conftest: skeleton.is_conftest,
            imports: skeleton.imports,
            classes: skeleton.classes,
            module_names: skeleton.module_names,
            units,
            module_statements: Vec::new(),
            class_decorators: Vec::new(),
            uses_pytest: skeleton.uses_pytest,
            uses_unittest: skeleton.uses_unittest,
        }
    }

    pub fn text(&self, node: Node) -> &'t str {
        self.source.get(node.byte_range()).unwrap_or("")
    }

    /// Walks module-level statements and class bodies (explicit stack, no recursion).
    fn collect(&mut self, root: Node<'t>) {
        // (block-like node, enclosing class)
        let mut stack: Vec<(Node<'t>, Option<ClassId>)> = vec![(root, None)];
        while let Some((container, class)) = stack.pop() {
            let mut cursor = container.walk();
            let children: Vec<Node<'t>> = container.named_children(&mut cursor).collect();
            // Push compound statements in reverse so they are visited in source order.
            let mut deferred = Vec::new();
            for statement in children {
                match kind(statement) {
                    Kind::Comment => {}
                    Kind::FunctionDefinition | Kind::DecoratedDefinition => {
                        let definition = if kind(statement) == Kind::DecoratedDefinition {
                            field(statement, Field::Definition)
                        } else {
                            Some(statement)
                        };
                        match definition.map(|d| (d, kind(d))) {
                            Some((function, Kind::FunctionDefinition)) => {
                                if class.is_none()
                                    && let Some(name) = field(function, Field::Name)
                                {
                                    self.module_names.insert(self.text(name).to_string());
                                }
                                self.units.push(UnitNode {
                                    outer: statement,
                                    function,
                                    class,
                                });
                            }
                            Some((class_node, Kind::ClassDefinition)) => {
                                self.class_decorators.extend(decorators_of(statement));
                                if let Some(id) = self.add_class(statement, class_node, class) {
                                    if let Some(body) = field(class_node, Field::Body) {
                                        deferred.push((body, Some(id)));
                                    }
                                }
                            }
                            _ => self.module_statements.push(statement),
                        }
                    }
                    Kind::ClassDefinition => {
                        if let Some(id) = self.add_class(statement, statement, class)
                            && let Some(body) = field(statement, Field::Body)
                        {
                            deferred.push((body, Some(id)));
                        }
                    }
                    Kind::ImportStatement | Kind::ImportFromStatement => {
                        if class.is_none() {
                            self.imports.add_statement(self.source, statement);
                        }
                        self.module_statements.push(statement);
                    }
                    // Definitions guarded by `if`/`try`/`with` at module level still count.
                    Kind::IfStatement | Kind::TryStatement | Kind::WithStatement
                        if class.is_none() =>
                    {
                        self.module_statements.push(statement);
                        for block in blocks_of(statement) {
                            deferred.push((block, None));
                        }
                    }
                    Kind::Block => deferred.push((statement, class)),
                    _ => {
                        if class.is_none() {
                            self.record_module_binding(statement);
                        } else if let Some(id) = class {
                            self.record_class_statement(id, statement);
                        }
                        self.module_statements.push(statement);
                    }
                }
            }
            for item in deferred.into_iter().rev() {
                stack.push(item);
            }
        }
        self.units.sort_by_key(|u| u.outer.start_byte());
        self.module_statements.sort_by_key(|n| n.start_byte());
        self.class_decorators.sort_by_key(|n| n.start_byte());
    }

    fn add_class(
        &mut self,
        outer: Node<'t>,
        node: Node<'t>,
        parent: Option<ClassId>,
    ) -> Option<ClassId> {
        let name_node = field(node, Field::Name)?;
        let body = field(node, Field::Body)?;
        let name = self.text(name_node).to_string();
        if parent.is_none() {
            self.module_names.insert(name.clone());
        }
        let bases = field(node, Field::Superclasses)
            .map(|list| {
                let mut cursor = list.walk();
                list.named_children(&mut cursor)
                    .filter(|b| matches!(kind(*b), Kind::Identifier | Kind::Attribute))
                    .map(|b| Base {
                        text: self.text(b).to_string(),
                        resolved: resolve_with(&self.imports, self.source, b),
                        range: TextRange::of(b),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let docstring = docstring_of(body);
        let first = first_statement(body);
        let body_start = first
            .map(|s| self.lines.line_start(self.lines.line_of(s.start_byte())))
            .unwrap_or_else(|| body.start_byte());
        let body_indent = first
            .map(|s| crate::text::indentation_at(self.source, &self.lines, s.start_byte()))
            .unwrap_or("    ")
            .to_string();
        let after_docstring = docstring.map(|d| {
            let line = self.lines.line_of(d.end_byte());
            self.lines.line_start(line + 1)
        });
        let mut method_names = Vec::new();
        let mut cursor = body.walk();
        for child in body.named_children(&mut cursor) {
            let function = match kind(child) {
                Kind::FunctionDefinition => Some(child),
                Kind::DecoratedDefinition => {
                    field(child, Field::Definition).filter(|d| kind(*d) == Kind::FunctionDefinition)
                }
                _ => None,
            };
            if let Some(name) = function.and_then(|f| field(f, Field::Name)) {
                method_names.push(self.text(name).to_string());
            }
        }
        let has_init = method_names.iter().any(|m| m == "__init__");
        let id = self.classes.len();
        self.classes.push(Class {
            id,
            name,
            name_range: TextRange::of(name_node),
            range: TextRange::of(outer),
            parent,
            bases,
            kind: ClassKind::Other,
            docstring: docstring.map(TextRange::of),
            body: TextRange::of(body),
            body_indent,
            body_start,
            after_docstring,
            annotations: Vec::new(),
            class_attributes: Vec::new(),
            method_names,
            has_init,
        });
        Some(id)
    }

    fn record_module_binding(&mut self, statement: Node<'t>) {
        if kind(statement) != Kind::ExpressionStatement {
            return;
        }
        let Some(inner) = statement.named_child(0) else {
            return;
        };
        if kind(inner) == Kind::Assignment
            && let Some(left) = field(inner, Field::Left)
        {
            for name in assigned_names(left) {
                self.module_names.insert(self.text(name).to_string());
            }
        }
    }

    fn record_class_statement(&mut self, class: ClassId, statement: Node<'t>) {
        if kind(statement) != Kind::ExpressionStatement {
            return;
        }
        let Some(inner) = statement.named_child(0) else {
            return;
        };
        if kind(inner) != Kind::Assignment {
            return;
        }
        let Some(left) = field(inner, Field::Left) else {
            return;
        };
        let source = self.source;
        let Some(target) = self.classes.get_mut(class) else {
            return;
        };
        if field(inner, Field::Type).is_some() && kind(left) == Kind::Identifier {
            target.annotations.push(ClassAnnotation {
                name: source[left.byte_range()].to_string(),
                range: TextRange::of(statement),
            });
        } else {
            for name in assigned_names(left) {
                target
                    .class_attributes
                    .push(source[name.byte_range()].to_string());
            }
        }
    }

    /// Decides each class's kind: `TestCase` by its bases (known frameworks, `*TestCase`-style
    /// names, a `TestCase` class of this file, or — for a class with `test*` methods — a base
    /// from another file when the base or the class is named for tests, as Nova's
    /// `RescuePolicyTest(base.BasePolicyTest)` and `RescueJsonTest(test_servers.ServersSampleBase)`
    /// are), then pytest classes, then mixins.
    fn classify_classes(&mut self) {
        let by_name: HashMap<String, ClassId> = self
            .classes
            .iter()
            .map(|c| (c.name.clone(), c.id))
            .collect();
        let has_tests = |c: &Class| c.method_names.iter().any(|m| m.starts_with("test"));
        // A base defined in another file (not a class of this file, not `object`).
        let is_outside = |b: &Base| b.text != "object" && !by_name.contains_key(&b.text);
        let mut is_case: Vec<bool> = self
            .classes
            .iter()
            .map(|c| {
                let outside_base_named_for_tests = c.bases.iter().any(|b| {
                    is_outside(b)
                        && b.text
                            .rsplit('.')
                            .next()
                            .is_some_and(|l| l.contains("Test"))
                });
                // `class RescueJsonTest(test_servers.ServersSampleBase)`: a class named for
                // tests, with tests, on a base from another file (mixins aside).
                let named_for_tests = c.name.contains("Test")
                    && !c.name.starts_with('_')
                    && !c.name.to_ascii_lowercase().contains("mixin")
                    && c.bases.iter().any(&is_outside);
                c.bases.iter().any(is_test_case_base)
                    || (has_tests(c) && (outside_base_named_for_tests || named_for_tests))
            })
            .collect();
        // Inheritance inside the file, to a fixed point.
        loop {
            let mut changed = false;
            for class in &self.classes {
                if is_case[class.id] {
                    continue;
                }
                if class
                    .bases
                    .iter()
                    .any(|b| by_name.get(&b.text).is_some_and(|&i| is_case[i]))
                {
                    is_case[class.id] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let used_as_base: HashSet<&str> = self
            .classes
            .iter()
            .filter(|c| is_case[c.id] || c.name.starts_with("Test"))
            .flat_map(|c| c.bases.iter().map(|b| b.text.as_str()))
            .collect();
        let kinds: Vec<ClassKind> = self
            .classes
            .iter()
            .map(|class| {
                let has_tests = has_tests(class);
                if is_case[class.id] {
                    ClassKind::TestCase
                } else if class.name.starts_with("Test") && class.parent.is_none() {
                    ClassKind::PytestClass
                } else if used_as_base.contains(class.name.as_str())
                    || class.name.to_ascii_lowercase().contains("mixin")
                    || (has_tests && class.name.starts_with('_'))
                {
                    ClassKind::TestMixin
                } else {
                    ClassKind::Other
                }
            })
            .collect();
        for (class, kind) in self.classes.iter_mut().zip(kinds) {
            class.kind = kind;
        }
    }

    /// The `class_definition` node of a class of this file.
    pub fn class_node(&self, class: &Class) -> Option<Node<'t>> {
        let name = self
            .tree
            .root_node()
            .named_descendant_for_byte_range(class.name_range.start, class.name_range.end)?;
        name.parent()
            .filter(|p| kind(*p) == Kind::ClassDefinition && p.start_byte() <= name.start_byte())
    }

    /// The dotted path a name or attribute chain stands for through the module's imports.
    pub fn resolve(&self, node: Node) -> Option<String> {
        resolve_with(&self.imports, self.source, node)
    }

    /// The class a unit's function belongs to.
    pub fn class(&self, id: Option<ClassId>) -> Option<&Class> {
        id.and_then(|id| self.classes.get(id))
    }

    /// The kind of a function given where it is defined.
    pub fn function_kind(
        &self,
        name: &str,
        class: Option<ClassId>,
        nested: bool,
        decorators: &[Node],
        settings: &Settings,
    ) -> FunctionKind {
        if nested {
            return FunctionKind::Nested;
        }
        if name.starts_with("__") && name.ends_with("__") && name.len() > 4 {
            return FunctionKind::Special;
        }
        if decorators.iter().any(|d| self.is_fixture_decorator(*d)) {
            return FunctionKind::Fixture;
        }
        if let Some(setup) = SetupKind::from_name(name, class.is_some()) {
            return FunctionKind::Setup(setup);
        }
        let is_test_name = settings.is_test_function_name(name);
        match self.class(class) {
            None if is_test_name => FunctionKind::Test(TestStyle::Pytest),
            None => FunctionKind::Helper,
            Some(class) => match class.kind {
                ClassKind::TestCase | ClassKind::TestMixin if is_test_name => {
                    FunctionKind::Test(TestStyle::Unittest)
                }
                ClassKind::PytestClass if is_test_name && !class.has_init => {
                    FunctionKind::Test(TestStyle::Pytest)
                }
                _ => FunctionKind::Helper,
            },
        }
    }

    /// `@pytest.fixture`, `@pytest.fixture(...)`, `@fixture` imported from pytest, and
    /// pytest-asyncio's `@pytest_asyncio.fixture`.
    pub fn is_fixture_decorator(&self, decorator: Node) -> bool {
        let Some(expression) = decorator.named_child(0) else {
            return false;
        };
        let target = if kind(expression) == Kind::Call {
            field(expression, Field::Function).unwrap_or(expression)
        } else {
            expression
        };
        matches!(
            self.resolve(target).as_deref(),
            Some("pytest.fixture" | "pytest.yield_fixture" | "pytest_asyncio.fixture")
        )
    }
}

/// The `TestCase` classes of the test frameworks themselves, as resolved dotted paths.
pub const FRAMEWORK_TEST_CASES: &[&str] = &[
    "unittest.TestCase",
    "unittest.case.TestCase",
    "unittest.IsolatedAsyncioTestCase",
    "testtools.TestCase",
    "testtools.testcase.TestCase",
    "oslotest.base.BaseTestCase",
    "fixtures.TestWithFixtures",
    "testscenarios.TestWithScenarios",
    "testscenarios.WithScenarios",
    "django.test.TestCase",
    "django.test.SimpleTestCase",
    "django.test.TransactionTestCase",
    "django.test.LiveServerTestCase",
    "twisted.trial.unittest.TestCase",
    "twisted.trial.unittest.SynchronousTestCase",
    "asynctest.TestCase",
];

/// Whether a base is a class whose methods are known without reading any project file: a
/// framework `TestCase` ([`FRAMEWORK_TEST_CASES`]) or `object`.
pub fn is_framework_base(base: &Base) -> bool {
    base.text == "object"
        || base
            .resolved
            .as_deref()
            .is_some_and(|resolved| FRAMEWORK_TEST_CASES.contains(&resolved))
}

/// Known `TestCase` bases and the naming conventions projects use for their own.
fn is_test_case_base(base: &Base) -> bool {
    if let Some(resolved) = &base.resolved
        && FRAMEWORK_TEST_CASES.contains(&resolved.as_str())
    {
        return true;
    }
    let last = base.text.rsplit('.').next().unwrap_or(&base.text);
    last.ends_with("TestCase")
        || last.ends_with("TestBase")
        || last.ends_with("TestCaseBase")
        || last.ends_with("TestsBase")
}

/// Resolves an identifier or attribute chain through an import table.
pub fn resolve_with(imports: &Imports, source: &str, node: Node) -> Option<String> {
    // A chain resolves only through its first name, which is where its text starts: when that
    // name is not imported, nothing needs to be walked (most chains start with `self`).
    let text = source.get(node.start_byte()..).unwrap_or("");
    let end = text
        .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
        .unwrap_or(text.len());
    let follows_ascii = text[end..].chars().next().is_none_or(|c| c.is_ascii());
    if follows_ascii && imports.get(&text[..end]).is_none() {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    let mut current = node;
    loop {
        match kind(current) {
            Kind::Identifier => {
                let root = source.get(current.byte_range())?;
                let base = imports.get(root)?;
                let mut path = base.to_string();
                for part in parts.iter().rev() {
                    path.push('.');
                    path.push_str(part);
                }
                return Some(crate::imports::normalize(&path));
            }
            Kind::Attribute => {
                let attribute = field(current, Field::Attribute)?;
                parts.push(source.get(attribute.byte_range())?);
                current = field(current, Field::Object)?;
            }
            _ => return None,
        }
    }
}

/// The dotted text of an identifier or attribute chain (`self.api.get`), unresolved.
pub fn dotted_name(source: &str, node: Node) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    let mut current = node;
    loop {
        match kind(current) {
            Kind::Identifier => {
                parts.push(source.get(current.byte_range())?);
                parts.reverse();
                return Some(parts.join("."));
            }
            Kind::Attribute => {
                parts.push(source.get(field(current, Field::Attribute)?.byte_range())?);
                current = field(current, Field::Object)?;
            }
            _ => return None,
        }
    }
}

/// A node's source quoted in a message: comments inside it dropped, layout collapsed, cut at
/// `max` characters (see [`crate::text::snippet`]).
pub fn snippet_of(source: &str, node: Node, max: usize) -> String {
    let range = node.byte_range();
    if !source.get(range.clone()).unwrap_or("").contains('#') {
        // No `#`, no comment: nothing to look for in the tree.
        return crate::text::snippet(source.get(range).unwrap_or(""), max);
    }
    let mut comments: Vec<std::ops::Range<usize>> = Vec::new();
    let mut stack = vec![node];
    while let Some(current) = stack.pop() {
        if kind(current) == Kind::Comment {
            comments.push(current.byte_range());
            continue;
        }
        // All children: a comment can sit inside an anonymous token such as `is not`.
        let mut cursor = current.walk();
        stack.extend(current.children(&mut cursor));
    }
    let range = node.byte_range();
    if comments.is_empty() {
        return crate::text::snippet(source.get(range).unwrap_or(""), max);
    }
    comments.sort_by_key(|r| r.start);
    let mut text = String::new();
    let mut at = range.start;
    for comment in comments {
        text.push_str(source.get(at..comment.start).unwrap_or(""));
        at = comment.end;
    }
    text.push_str(source.get(at..range.end).unwrap_or(""));
    crate::text::snippet(&text, max)
}

/// The docstring of a block: a string expression as its first statement.
pub fn docstring_of(body: Node) -> Option<Node> {
    let first = first_statement(body)?;
    if kind(first) != Kind::ExpressionStatement {
        return None;
    }
    let expression = first.named_child(0)?;
    matches!(kind(expression), Kind::String | Kind::ConcatenatedString).then_some(first)
}

/// The first statement of a block, skipping comments.
pub fn first_statement(body: Node) -> Option<Node> {
    // Leading comments are few: read a block's children by index until one is not a comment
    // (see `syntax::push_named_children` for why only blocks and modules).
    let indexed = matches!(kind(body), Kind::Block | Kind::Module);
    (0..body.named_child_count() as u32)
        .take_while(|_| indexed)
        .map_while(|i| body.named_child(i))
        .take(crate::syntax::INDEXED_CHILDREN)
        .find(|n| kind(*n) != Kind::Comment)
        .or_else(|| {
            let mut cursor = body.walk();
            body.named_children(&mut cursor)
                .find(|n| kind(*n) != Kind::Comment)
        })
}

/// The names an assignment target binds (`a`, `a, b`, `(a, [b, c])`), skipping attributes.
pub fn assigned_names(target: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut stack = vec![target];
    while let Some(node) = stack.pop() {
        match kind(node) {
            Kind::Identifier => out.push(node),
            Kind::PatternList
            | Kind::TuplePattern
            | Kind::ListPattern
            | Kind::Tuple
            | Kind::List
            | Kind::ExpressionList
            | Kind::ParenthesizedExpression
            | Kind::ListSplatPattern
            | Kind::ListSplat => {
                let mut cursor = node.walk();
                let children: Vec<_> = node.named_children(&mut cursor).collect();
                stack.extend(children.into_iter().rev());
            }
            _ => {}
        }
    }
    out
}

/// The blocks of a compound statement (`if`/`elif`/`else`, `try`/`except`/`finally`, `with`).
fn blocks_of(statement: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut stack = vec![statement];
    while let Some(node) = stack.pop() {
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            match kind(child) {
                Kind::Block => out.push(child),
                Kind::ElifClause | Kind::ElseClause | Kind::ExceptClause | Kind::FinallyClause => {
                    stack.push(child)
                }
                _ => {}
            }
        }
    }
    out.sort_by_key(|b| b.start_byte());
    out
}

/// Positional and keyword arguments of a call.
pub fn call_arguments(call: Node) -> Vec<Node> {
    let mut out = Vec::new();
    if let Some(arguments) = field(call, Field::Arguments) {
        crate::syntax::push_named_children(arguments, &mut out);
        out.retain(|n| kind(*n) != Kind::Comment);
    }
    out
}

/// The positional arguments of a call (stopping at the first keyword or splat).
pub fn positional_arguments(call: Node) -> Vec<Node> {
    call_arguments(call)
        .into_iter()
        .take_while(|a| {
            !matches!(
                kind(*a),
                Kind::KeywordArgument | Kind::ListSplat | Kind::DictionarySplat
            )
        })
        .collect()
}

/// The value of keyword argument `name` of a call.
pub fn keyword_argument<'t>(source: &str, call: Node<'t>, name: &str) -> Option<Node<'t>> {
    call_arguments(call).into_iter().find_map(|arg| {
        if kind(arg) != Kind::KeywordArgument {
            return None;
        }
        let key = field(arg, Field::Name)?;
        (source.get(key.byte_range()) == Some(name))
            .then(|| field(arg, Field::Value))
            .flatten()
    })
}

/// Whether a call passes `**kwargs` (so any keyword may be present).
pub fn has_dictionary_splat(call: Node) -> bool {
    call_arguments(call)
        .iter()
        .any(|a| kind(*a) == Kind::DictionarySplat)
}

/// The decorators of a definition (empty when undecorated).
pub fn decorators_of(outer: Node) -> Vec<Node> {
    if kind(outer) != Kind::DecoratedDefinition {
        return Vec::new();
    }
    let mut cursor = outer.walk();
    outer
        .named_children(&mut cursor)
        .filter(|n| kind(*n) == Kind::Decorator)
        .collect()
}

/// Names of the parameters of a `parameters` node, with their nodes and annotation flags.
pub fn parameters_of<'t>(source: &'t str, parameters: Node<'t>) -> Vec<Parameter<'t>> {
    let mut out = Vec::new();
    let mut cursor = parameters.walk();
    for child in parameters.named_children(&mut cursor) {
        let (name, annotated, has_default, star) = match kind(child) {
            Kind::Identifier => (Some(child), false, false, ""),
            Kind::DefaultParameter => (field(child, Field::Name), false, true, ""),
            Kind::TypedParameter => {
                let inner = child.named_child(0);
                let star = match inner.map(kind) {
                    Some(Kind::ListSplatPattern) => "*",
                    Some(Kind::DictionarySplatPattern) => "**",
                    _ => "",
                };
                let name = inner.and_then(|n| {
                    if kind(n) == Kind::Identifier {
                        Some(n)
                    } else {
                        n.named_child(0)
                    }
                });
                (name, true, false, star)
            }
            Kind::TypedDefaultParameter => (field(child, Field::Name), true, true, ""),
            Kind::ListSplatPattern => (child.named_child(0), false, false, "*"),
            Kind::DictionarySplatPattern => (child.named_child(0), false, false, "**"),
            _ => (None, false, false, ""),
        };
        if let Some(name) = name.filter(|n| kind(*n) == Kind::Identifier) {
            out.push(Parameter {
                name: source.get(name.byte_range()).unwrap_or(""),
                node: name,
                whole: child,
                annotated,
                has_default,
                star,
            });
        }
    }
    out
}

/// One parameter of a function.
#[derive(Clone, Copy, Debug)]
pub struct Parameter<'t> {
    pub name: &'t str,
    /// The parameter's name.
    pub node: Node<'t>,
    /// The whole parameter, annotation and default included.
    pub whole: Node<'t>,
    pub annotated: bool,
    pub has_default: bool,
    /// `"*"` or `"**"` for variadic parameters.
    pub star: &'static str,
}

/// Statements of a block, skipping comments.
pub fn statements(block: Node) -> Vec<Node> {
    let mut out = Vec::new();
    crate::syntax::push_named_children(block, &mut out);
    out.retain(|n| kind(*n) != Kind::Comment);
    out
}

/// The text of a plain string literal (no interpolation, no prefix other than `r`/`u`).
pub fn string_literal_value<'s>(source: &'s str, string: tree_sitter::Node) -> Option<&'s str> {
    if kind(string) != Kind::String {
        return None;
    }
    let mut cursor = string.walk();
    let mut content: Option<&'s str> = None;
    for child in string.named_children(&mut cursor) {
        match kind(child) {
            Kind::StringStart => {
                let start = source.get(child.byte_range())?;
                if start
                    .chars()
                    .any(|c| matches!(c, 'f' | 'F' | 'b' | 'B' | 't' | 'T'))
                {
                    return None;
                }
            }
            Kind::StringContent => {
                if content.is_some() {
                    return None;
                }
                content = Some(source.get(child.byte_range())?);
            }
            Kind::StringEnd => {}
            _ => return None,
        }
    }
    Some(content.unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_resolve_through_their_first_name_only() {
        let source = "\
import json
import u
import é
from time import sleep as pause
json.dumps(1)
pause(1)
u'x'.join(y)
(json).dumps(2)
self.json.dumps(3)
é.x(4)
json().x(5)
";
        let tree = crate::parse::parse(source, None);
        let file = FileModel::build(&tree, source, None);
        let mut resolved = Vec::new();
        let mut stack = vec![tree.root_node()];
        while let Some(node) = stack.pop() {
            if kind(node) == Kind::Call {
                let callee = field(node, Field::Function).expect("callee");
                resolved.push((file.text(callee).to_string(), file.resolve(callee)));
            }
            let mut cursor = node.walk();
            stack.extend(node.children(&mut cursor));
        }
        resolved.sort();
        let expected: Vec<(String, Option<String>)> = [
            ("(json).dumps", None),
            ("json", Some("json")),
            ("json().x", None),
            ("json.dumps", Some("json.dumps")),
            ("pause", Some("time.sleep")),
            ("self.json.dumps", None),
            ("u'x'.join", None),
            ("é.x", Some("é.x")),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.map(str::to_string)))
        .collect();
        assert_eq!(resolved, expected);
    }

    fn kinds(source: &str) -> Vec<(String, ClassKind)> {
        let tree = crate::parse::parse(source, None);
        let model = FileModel::build(&tree, source, None);
        model
            .classes
            .iter()
            .map(|c| (c.name.clone(), c.kind))
            .collect()
    }

    #[test]
    fn classes_with_tests_on_bases_from_other_files() {
        let source = "from nova.tests.unit.policies import base\n\
                      from nova import manager\n\
                      class RescuePolicyTest(base.BasePolicyTest):\n    def test_rescue(self): pass\n\
                      class RescueJsonTest(test_servers.ServersSampleBase):\n    def test_rescue(self): pass\n\
                      class RescueJsonTestV2(RescueJsonTest):\n    def test_other(self): pass\n\
                      class FakeManager(manager.Manager):\n    def test_method(self): pass\n\
                      class ServerTestMixin(base.Server):\n    def test_x(self): pass\n\
                      class Helper(base.BasePolicyTest):\n    def helper(self): pass\n";
        assert_eq!(
            kinds(source),
            vec![
                ("RescuePolicyTest".to_string(), ClassKind::TestCase),
                ("RescueJsonTest".to_string(), ClassKind::TestCase),
                ("RescueJsonTestV2".to_string(), ClassKind::TestCase),
                ("FakeManager".to_string(), ClassKind::Other),
                ("ServerTestMixin".to_string(), ClassKind::TestMixin),
                ("Helper".to_string(), ClassKind::Other),
            ]
        );
    }
}
