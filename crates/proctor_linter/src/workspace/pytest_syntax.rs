//! How pytest reads a module: fixture decorators, marks, and which parameters are fixtures.
//!
//! Two owned summaries come out of here, both free of tree nodes:
//!
//! - [`PytestFacts`], per test or fixture function, computed with the other function facts in
//!   [`crate::summary::summarize`]: the parameters pytest would fill from fixtures, whether the
//!   body uses each, and the marks on the function.
//! - [`ModuleFixtures`], per module, built from the skeleton alone: the fixtures it defines (at
//!   module level and in test classes), the other names it binds that *might* be fixtures
//!   (imports, assignments), and whether something makes its fixtures unknowable
//!   (`from m import *`, `pytest_plugins`, `pytest_generate_tests`).

use std::path::{Path, PathBuf};

use tree_sitter::Node;

use crate::model::{
    ClassId, FileModel, FunctionKind, call_arguments, decorators_of, keyword_argument,
};
use crate::rule::FunctionContext;
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;

/// A fixture declared with `@pytest.fixture`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FixtureSpec {
    /// The name tests request it by (`name=` or the function's name).
    pub name: String,
    /// `function`, `class`, `module`, `package`, `session`, or `dynamic` when computed.
    pub scope: String,
    pub autouse: bool,
}

/// What a decorator (or a mark in `pytestmark`) means to pytest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoration {
    Fixture(Option<FixtureSpec>),
    /// `pytest.mark.parametrize`: the argument names, `None` when they are not literal.
    Parametrize(Option<Parametrized>),
    /// `pytest.mark.usefixtures("a", "b")`, and where another name would be appended.
    Usefixtures {
        names: Vec<String>,
        append: Option<Append>,
    },
    /// Any other `pytest.mark.*`, or a decorator known not to touch the signature.
    Inert,
    /// `mock.patch*`: whether it passes a mock as an extra argument (`None`: cannot tell).
    Patch(Option<bool>),
    StaticMethod,
    ClassMethod,
    /// Anything else: it may supply arguments (hypothesis's `given`, freezegun's `as_arg`...).
    Unknown,
}

/// The names a `parametrize` mark supplies.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Parametrized {
    /// Passed to the test directly: not fixtures.
    pub direct: Vec<String>,
    /// `indirect=`: passed to the fixture of that name, which must exist.
    pub indirect: Vec<String>,
}

/// Where to add a name to an existing `usefixtures` mark.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Append {
    pub offset: usize,
    /// Whether the mark already has arguments (so `, ` goes first).
    pub after_argument: bool,
    /// The quote character its first argument uses.
    pub quote: char,
}

/// Reads a decorator.
pub fn decoration(file: &FileModel, decorator: Node) -> Decoration {
    match decorator.named_child(0) {
        Some(expression) => mark_expression(file, expression),
        None => Decoration::Unknown,
    }
}

/// Reads a decorator's expression, or one mark of a `pytestmark` value.
pub fn mark_expression(file: &FileModel, expression: Node) -> Decoration {
    let (target, call) = if kind(expression) == Kind::Call {
        match field(expression, Field::Function) {
            Some(function) => (function, Some(expression)),
            None => return Decoration::Unknown,
        }
    } else {
        (expression, None)
    };
    let source = file.source;
    let resolved = file.resolve(target);
    let Some(path) = resolved.as_deref() else {
        return match (kind(target), source.get(target.byte_range())) {
            (Kind::Identifier, Some("staticmethod")) => Decoration::StaticMethod,
            (Kind::Identifier, Some("classmethod")) => Decoration::ClassMethod,
            _ => Decoration::Unknown,
        };
    };
    match path {
        "pytest.fixture" | "pytest.yield_fixture" | "pytest_asyncio.fixture" => {
            Decoration::Fixture(call.map(|c| fixture_spec(source, c)).or(Some(FixtureSpec {
                name: String::new(),
                scope: "function".into(),
                autouse: false,
            })))
        }
        "pytest.mark.parametrize" => {
            Decoration::Parametrize(call.and_then(|c| parametrize_names(source, c)))
        }
        "pytest.mark.usefixtures" => match call {
            Some(c) => usefixtures(source, c),
            None => Decoration::Inert,
        },
        "unittest.mock.patch" => Decoration::Patch(call.map(|c| {
            crate::model::positional_arguments(c).len() < 2
                && keyword_argument(source, c, "new").is_none()
                && keyword_argument(source, c, "new_callable").is_none()
        })),
        "unittest.mock.patch.object" => Decoration::Patch(call.map(|c| {
            crate::model::positional_arguments(c).len() < 3
                && keyword_argument(source, c, "new").is_none()
                && keyword_argument(source, c, "new_callable").is_none()
        })),
        "unittest.mock.patch.dict" => Decoration::Patch(Some(false)),
        "unittest.mock.patch.multiple" => Decoration::Patch(None),
        "unittest.skip"
        | "unittest.skipIf"
        | "unittest.skipUnless"
        | "unittest.expectedFailure" => Decoration::Inert,
        p if p.starts_with("pytest.mark.") => Decoration::Inert,
        _ => Decoration::Unknown,
    }
}

/// `name=`, `scope=` and `autouse=` of a `pytest.fixture(...)` call.
fn fixture_spec(source: &str, call: Node) -> FixtureSpec {
    let name = keyword_argument(source, call, "name")
        .and_then(|n| string_value(source, n))
        .unwrap_or_default();
    let scope = match keyword_argument(source, call, "scope") {
        None => "function".to_string(),
        Some(value) => string_value(source, value).unwrap_or_else(|| "dynamic".to_string()),
    };
    let autouse = keyword_argument(source, call, "autouse").is_some_and(|v| kind(v) == Kind::True);
    FixtureSpec {
        name,
        scope,
        autouse,
    }
}

/// The argument names of a `parametrize` call, split by `indirect=`.
fn parametrize_names(source: &str, call: Node) -> Option<Parametrized> {
    let names = argnames(source, call)?;
    let indirect: Vec<String> = match keyword_argument(source, call, "indirect") {
        None => Vec::new(),
        Some(value) => match kind(value) {
            Kind::True => names.clone(),
            Kind::False => Vec::new(),
            Kind::List | Kind::Tuple => crate::syntax::named_children(value)
                .filter_map(|item| string_value(source, item))
                .collect(),
            // Unknown: treat every name as direct, which silences the rules.
            _ => Vec::new(),
        },
    };
    Some(Parametrized {
        direct: names
            .into_iter()
            .filter(|n| !indirect.contains(n))
            .collect(),
        indirect,
    })
}

/// `"a, b"`, `("a", "b")` or `["a", "b"]`.
fn argnames(source: &str, call: Node) -> Option<Vec<String>> {
    let first = keyword_argument(source, call, "argnames")
        .or_else(|| crate::model::positional_arguments(call).first().copied())?;
    match kind(first) {
        Kind::String | Kind::ConcatenatedString => {
            let text = string_value(source, first)?;
            Some(
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            )
        }
        Kind::Tuple | Kind::List => {
            let mut names = Vec::new();
            for item in crate::syntax::named_children(first) {
                names.push(string_value(source, item)?);
            }
            Some(names)
        }
        _ => None,
    }
}

fn usefixtures(source: &str, call: Node) -> Decoration {
    let arguments = call_arguments(call);
    let names = arguments
        .iter()
        .filter_map(|a| string_value(source, *a))
        .collect();
    let append = field(call, Field::Arguments).and_then(|list| {
        let quote = arguments
            .first()
            .and_then(|a| source.get(a.byte_range()))
            .and_then(|t| t.chars().find(|c| *c == '"' || *c == '\''))
            .unwrap_or('"');
        match arguments.last() {
            Some(last) => (!matches!(
                kind(*last),
                Kind::ListSplat | Kind::DictionarySplat | Kind::KeywordArgument
            ))
            .then_some(Append {
                offset: last.end_byte(),
                after_argument: true,
                quote,
            }),
            None => Some(Append {
                offset: list.start_byte() + 1,
                after_argument: false,
                quote,
            }),
        }
    });
    Decoration::Usefixtures { names, append }
}

/// The value of a plain string literal (no interpolation, no escapes beyond the obvious).
pub fn string_value(source: &str, node: Node) -> Option<String> {
    match kind(node) {
        Kind::String => {
            let mut out = String::new();
            for child in crate::syntax::named_children(node) {
                match kind(child) {
                    Kind::StringStart | Kind::StringEnd => {}
                    Kind::StringContent | Kind::EscapeSequence => {
                        out.push_str(source.get(child.byte_range())?)
                    }
                    _ => return None,
                }
            }
            Some(out)
        }
        Kind::ConcatenatedString => {
            let mut out = String::new();
            for child in crate::syntax::named_children(node) {
                out.push_str(&string_value(source, child)?);
            }
            Some(out)
        }
        _ => None,
    }
}

/// A parameter pytest fills from a fixture.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FixtureParameter {
    pub name: String,
    /// The parameter's name.
    pub range: TextRange,
    /// What to delete to remove the parameter (with its comma); `None` when no clean removal
    /// exists (a lone keyword-only parameter, comments in the way).
    pub deletion: Option<TextRange>,
    /// Whether the body (or a function nested in it) reads the name.
    pub used: bool,
}

/// Facts about a pytest test or fixture, for the fixture rules.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PytestFacts {
    pub parameters: Vec<FixtureParameter>,
    /// Names a `parametrize` mark on the function supplies directly (not fixtures).
    pub parametrized: Vec<String>,
    /// Names parametrized `indirect`ly: fixtures whose value the mark chooses.
    pub indirect: Vec<String>,
    pub usefixtures: Vec<String>,
    /// Where a name can be added to an existing `usefixtures` mark on the function.
    pub usefixtures_append: Option<Append>,
    /// A decorator that may supply arguments, or a `parametrize` whose names are not literal:
    /// nothing can be said about the parameters.
    pub opaque: bool,
    /// The body calls `locals()`, `vars()`, `eval` or `exec`: uses cannot be seen.
    pub dynamic: bool,
    /// Where a new decorator line goes (the start of the definition's first line) and the
    /// definition's indentation.
    pub decorator_at: usize,
    pub indent: String,
    /// For a fixture: its declaration.
    pub fixture: Option<FixtureSpec>,
}

impl PytestFacts {
    pub(crate) fn shift(&mut self, delta: isize) {
        for parameter in &mut self.parameters {
            parameter.range = parameter.range.shifted(delta);
            parameter.deletion = parameter.deletion.map(|d| d.shifted(delta));
        }
        if let Some(append) = &mut self.usefixtures_append {
            append.offset = append.offset.saturating_add_signed(delta);
        }
        self.decorator_at = self.decorator_at.saturating_add_signed(delta);
    }
}

/// The pytest facts of a unit's own function, when it is a pytest test or a fixture.
pub fn function_facts(ctx: &FunctionContext) -> Option<Box<PytestFacts>> {
    let function = ctx.function;
    if function.parent.is_some()
        || !matches!(
            function.kind,
            FunctionKind::Test(crate::model::TestStyle::Pytest) | FunctionKind::Fixture
        )
    {
        return None;
    }
    let file = ctx.file;
    let source = ctx.source();
    let mut facts = PytestFacts {
        parameters: Vec::new(),
        parametrized: Vec::new(),
        indirect: Vec::new(),
        usefixtures: Vec::new(),
        usefixtures_append: None,
        opaque: false,
        dynamic: false,
        decorator_at: file
            .lines
            .line_start(file.lines.line_of(function.outer.start_byte())),
        indent: crate::text::indentation_at(source, &file.lines, function.outer.start_byte())
            .to_string(),
        fixture: None,
    };
    let mut injected = 0usize;
    let mut is_static = false;
    for decorator in &function.decorators {
        match decoration(file, *decorator) {
            Decoration::Fixture(spec) => {
                let mut spec = spec.unwrap_or(FixtureSpec {
                    name: String::new(),
                    scope: "function".into(),
                    autouse: false,
                });
                if spec.name.is_empty() {
                    spec.name = function.name.to_string();
                }
                facts.fixture = Some(spec);
            }
            Decoration::Parametrize(Some(names)) => {
                facts.parametrized.extend(names.direct);
                facts.indirect.extend(names.indirect);
            }
            Decoration::Parametrize(None) => facts.opaque = true,
            Decoration::Usefixtures { names, append } => {
                facts.usefixtures.extend(names);
                if facts.usefixtures_append.is_none() {
                    facts.usefixtures_append = append;
                }
            }
            Decoration::Patch(Some(true)) => injected += 1,
            Decoration::Patch(Some(false)) | Decoration::Inert | Decoration::ClassMethod => {}
            Decoration::StaticMethod => is_static = true,
            Decoration::Patch(None) | Decoration::Unknown => facts.opaque = true,
        }
    }
    let Some(parameters) = function.parameters else {
        return Some(Box::new(facts));
    };
    let items: Vec<Node> = crate::syntax::named_children(parameters).collect();
    let positional_only = items
        .iter()
        .position(|n| kind(*n) == Kind::PositionalSeparator);
    let mut skip_first = function.class.is_some() && !is_static;
    let mut used_names = used_identifiers(ctx);
    used_names.sort_unstable();
    for (index, item) in items.iter().enumerate() {
        if positional_only.is_some_and(|p| index < p) {
            // Positional-only (and `self` before `/`): never fixtures.
            skip_first = false;
            continue;
        }
        let name_node = match kind(*item) {
            Kind::Identifier => Some(*item),
            Kind::TypedParameter => item.named_child(0).filter(|n| kind(*n) == Kind::Identifier),
            _ => None,
        };
        let Some(name_node) = name_node else {
            // Defaults, `*args`, `**kwargs` and separators: not fixtures. A default or a
            // splat also ends the run of leading positional parameters mocks fill.
            if matches!(
                kind(*item),
                Kind::DefaultParameter | Kind::TypedDefaultParameter
            ) {
                skip_first = false;
            }
            continue;
        };
        if skip_first {
            skip_first = false;
            continue;
        }
        if injected > 0 {
            injected -= 1;
            continue;
        }
        let name = source.get(name_node.byte_range()).unwrap_or("").to_string();
        let used = used_names.binary_search(&name.as_str()).is_ok();
        facts.parameters.push(FixtureParameter {
            deletion: deletion_range(source, &items, index),
            range: TextRange::of(name_node),
            name,
            used,
        });
    }
    facts.dynamic = has_dynamic_scope(ctx);
    Some(Box::new(facts))
}

/// Names read in the function's body and in the functions nested in it. Keyword-argument names
/// (`f(db=1)`) and attribute names (`x.db`) are not reads of `db`.
fn used_identifiers<'t>(ctx: &FunctionContext<'_, 't>) -> Vec<&'t str> {
    let source = ctx.source();
    let body = ctx.function.body.map(TextRange::of);
    let functions: Vec<&crate::unit::Function<'t>> = std::iter::once(ctx.function)
        .chain(ctx.descendants())
        .collect();
    // Names that label rather than read (found from their parents, since `Node::parent` walks
    // down from the root and would make this quadratic on deep trees).
    let mut labels: Vec<usize> = Vec::new();
    for function in &functions {
        for keyword in function.nodes(Kind::KeywordArgument) {
            if let Some(name) = field(*keyword, Field::Name) {
                labels.push(name.start_byte());
            }
        }
        for attribute in function.nodes(Kind::Attribute) {
            if let Some(name) = field(*attribute, Field::Attribute) {
                labels.push(name.start_byte());
            }
        }
    }
    labels.sort_unstable();
    let mut out = Vec::new();
    for (index, function) in functions.iter().enumerate() {
        for identifier in function.nodes(Kind::Identifier) {
            let range = TextRange::of(*identifier);
            if index == 0 && !body.is_some_and(|b| b.contains_range(range)) {
                continue;
            }
            if labels.binary_search(&range.start).is_ok() {
                continue;
            }
            if let Some(text) = source.get(identifier.byte_range()) {
                out.push(text);
            }
        }
    }
    out
}

fn has_dynamic_scope(ctx: &FunctionContext) -> bool {
    let source = ctx.source();
    std::iter::once(ctx.function)
        .chain(ctx.descendants())
        .flat_map(|f| f.nodes(Kind::Call).iter())
        .any(|call| {
            field(*call, Field::Function)
                .filter(|f| kind(*f) == Kind::Identifier)
                .and_then(|f| source.get(f.byte_range()))
                .is_some_and(|name| matches!(name, "locals" | "vars" | "eval" | "exec"))
        })
}

/// The text to delete to remove parameter `items[index]` with its comma.
fn deletion_range(source: &str, items: &[Node], index: usize) -> Option<TextRange> {
    let item = *items.get(index)?;
    let previous = index.checked_sub(1).and_then(|i| items.get(i)).copied();
    let next = items.get(index + 1).copied();
    // `def f(a, *, b)`: removing `b` would leave a bare `*`.
    if previous.is_some_and(|p| kind(p) == Kind::KeywordSeparator) && next.is_none() {
        return None;
    }
    let bytes = source.as_bytes();
    let line_start = source[..item.start_byte()]
        .rfind(['\n', '\r'])
        .map_or(0, |i| i + 1);
    let alone_before = source[line_start..item.start_byte()]
        .chars()
        .all(|c| c == ' ' || c == '\t');
    // The end of the parameter's comma, if one follows.
    let mut after = item.end_byte();
    while matches!(bytes.get(after), Some(b' ' | b'\t')) {
        after += 1;
    }
    let comma_end = (bytes.get(after) == Some(&b',')).then_some(after + 1);
    let mut rest = comma_end.unwrap_or(item.end_byte());
    while matches!(bytes.get(rest), Some(b' ' | b'\t')) {
        rest += 1;
    }
    let alone_after = matches!(bytes.get(rest), Some(b'\n' | b'\r'));
    let range = if alone_before && alone_after && (comma_end.is_some() || previous.is_some()) {
        // One parameter per line: remove the whole line.
        let mut end = rest;
        if bytes.get(end) == Some(&b'\r') {
            end += 1;
        }
        if bytes.get(end) == Some(&b'\n') {
            end += 1;
        }
        TextRange::new(line_start, end)
    } else if let Some(previous) = previous {
        TextRange::new(previous.end_byte(), item.end_byte())
    } else if let Some(next) = next {
        TextRange::new(item.start_byte(), next.start_byte())
    } else {
        TextRange::new(item.start_byte(), comma_end.unwrap_or(item.end_byte()))
    };
    let text = source.get(range.as_range())?;
    (!text.contains('#')).then_some(range)
}

/// A fixture defined in a module or a class.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FixtureDef {
    pub name: String,
    /// The decorated function's name (differs from `name` with `@pytest.fixture(name=...)`).
    pub function: String,
    /// The function's name in the defining file.
    pub range: TextRange,
    /// 0-based line of `range.start`.
    pub line: usize,
    pub scope: String,
    pub autouse: bool,
    pub docstring: Option<String>,
}

/// The fixture-related facts of one class of a module.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ClassFixtures {
    pub name: String,
    /// Top-level class (nested classes are not collected).
    pub top_level: bool,
    pub bases: Vec<String>,
    pub fixtures: Vec<FixtureDef>,
    /// Names its `parametrize` marks (decorators or `pytestmark`) supply.
    pub parametrized: Vec<String>,
    /// `mock.patch` class decorators: each passes one mock to every `test*` method.
    pub injected: usize,
    /// Something makes its tests' arguments unknowable: an unknown class decorator, a
    /// non-literal `parametrize`, or a `pytest_generate_tests` method.
    pub open: bool,
    pub generates_tests: bool,
}

/// The fixture-related facts of one module (a test module or a `conftest.py`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ModuleFixtures {
    pub path: Option<PathBuf>,
    /// Module-level fixtures, in source order.
    pub fixtures: Vec<FixtureDef>,
    /// Other module-level names that may hold fixtures: imports, assignments of calls or
    /// names, and functions under decorators Proctor does not know.
    pub maybe: Vec<String>,
    /// Indexed by [`ClassId`].
    pub classes: Vec<ClassFixtures>,
    /// Names a module-level `pytestmark` parametrizes.
    pub parametrized: Vec<String>,
    /// `from m import *` or `pytest_plugins`: fixtures may come from anywhere.
    pub open: bool,
    /// The module defines `pytest_generate_tests`: any argument may be parametrized by it.
    pub generates_tests: bool,
    /// A hash of the text the facts came from.
    pub content_hash: u64,
}

impl ModuleFixtures {
    /// Parses `text` and reads its fixtures.
    pub fn parse(text: &str, path: &Path) -> ModuleFixtures {
        let tree = crate::parse::parse(text, None);
        let file = FileModel::build(&tree, text, Some(path));
        ModuleFixtures::from_file(&file)
    }

    /// Reads the fixtures of a built file model (skeleton only).
    pub fn from_file(file: &FileModel) -> ModuleFixtures {
        let source = file.source;
        let mut module = ModuleFixtures {
            path: file.path.clone(),
            content_hash: xxhash_rust::xxh3::xxh3_64(source.as_bytes()),
            ..ModuleFixtures::default()
        };
        module.classes = file
            .classes
            .iter()
            .map(|c| ClassFixtures {
                name: c.name.clone(),
                top_level: c.parent.is_none(),
                bases: c.bases.iter().map(|b| b.text.clone()).collect(),
                ..ClassFixtures::default()
            })
            .collect();
        if !file.imports.wildcards.is_empty() {
            module.open = true;
        }
        for (name, _) in file.imports.sorted() {
            module.maybe.push(name.to_string());
        }
        // Class decorators.
        for class in &file.classes {
            let outer = file
                .tree
                .root_node()
                .descendant_for_byte_range(class.range.start, class.range.end);
            let Some(outer) = outer.filter(|n| kind(*n) == Kind::DecoratedDefinition) else {
                continue;
            };
            let Some(target) = module.classes.get_mut(class.id) else {
                continue;
            };
            for decorator in decorators_of(outer) {
                match decoration(file, decorator) {
                    Decoration::Parametrize(Some(names)) => {
                        target.parametrized.extend(names.direct)
                    }
                    Decoration::Patch(Some(true)) => target.injected += 1,
                    Decoration::Patch(Some(false))
                    | Decoration::Inert
                    | Decoration::Usefixtures { .. } => {}
                    _ => target.open = true,
                }
            }
        }
        // Functions and methods.
        for unit in &file.units {
            let Some(name_node) = field(unit.function, Field::Name) else {
                continue;
            };
            let name = file.text(name_node);
            if name == "pytest_generate_tests" {
                match unit.class.and_then(|c| module.classes.get_mut(c)) {
                    Some(class) => class.generates_tests = true,
                    None if unit.class.is_none() => module.generates_tests = true,
                    None => {}
                }
                continue;
            }
            let mut spec = None;
            let mut unknown = false;
            for decorator in decorators_of(unit.outer) {
                match decoration(file, decorator) {
                    Decoration::Fixture(s) => spec = s,
                    Decoration::Unknown => unknown = true,
                    _ => {}
                }
            }
            let Some(mut spec) = spec else {
                if unknown && unit.class.is_none() {
                    module.maybe.push(name.to_string());
                }
                continue;
            };
            if spec.name.is_empty() {
                spec.name = name.to_string();
            }
            let docstring = field(unit.function, Field::Body)
                .and_then(crate::model::docstring_of)
                .and_then(|statement| statement.named_child(0))
                .and_then(|string| string_value(source, string))
                .map(|text| clean_docstring(&text));
            let definition = FixtureDef {
                name: spec.name,
                function: name.to_string(),
                range: TextRange::of(name_node),
                line: file.lines.line_of(name_node.start_byte()),
                scope: spec.scope,
                autouse: spec.autouse,
                docstring,
            };
            match unit.class {
                None => module.fixtures.push(definition),
                Some(class) => {
                    if let Some(class) = module.classes.get_mut(class) {
                        class.fixtures.push(definition);
                    }
                }
            }
        }
        // Module and class statements.
        for statement in &file.module_statements {
            if kind(*statement) != Kind::ExpressionStatement {
                continue;
            }
            let Some(assignment) = statement
                .named_child(0)
                .filter(|n| kind(*n) == Kind::Assignment)
            else {
                continue;
            };
            let (Some(left), Some(right)) = (
                field(assignment, Field::Left),
                field(assignment, Field::Right),
            ) else {
                continue;
            };
            let class = innermost_class(file, statement.start_byte());
            let at_module = class.is_none()
                && statement
                    .parent()
                    .is_some_and(|p| kind(p) == Kind::Module || kind(p) == Kind::Block);
            let target = file.text(left);
            match (target, class) {
                ("pytest_plugins", None) => module.open = true,
                ("pytestmark", _) => {
                    let (names, open) = pytestmark_names(file, right);
                    match class.and_then(|c| module.classes.get_mut(c)) {
                        Some(class) => {
                            class.parametrized.extend(names);
                            class.open |= open;
                        }
                        None => {
                            module.parametrized.extend(names);
                            module.open |= open;
                        }
                    }
                }
                (_, None) if at_module => {
                    if matches!(kind(right), Kind::Call | Kind::Identifier | Kind::Attribute) {
                        for name in crate::model::assigned_names(left) {
                            module.maybe.push(file.text(name).to_string());
                        }
                    }
                }
                _ => {}
            }
        }
        module.maybe.sort();
        module.maybe.dedup();
        module
    }

    /// The module-level fixture named `name`.
    pub fn fixture(&self, name: &str) -> Option<&FixtureDef> {
        self.fixtures.iter().rev().find(|f| f.name == name)
    }

    /// Whether the module binds `name` in a way that may be a fixture.
    pub fn may_provide(&self, name: &str) -> bool {
        self.maybe
            .binary_search_by(|m| m.as_str().cmp(name))
            .is_ok()
    }

    /// The in-file classes of `class`'s method resolution order (itself first), and whether
    /// every base was found in the file.
    pub fn class_chain(&self, class: ClassId) -> (Vec<ClassId>, bool) {
        let mut order = Vec::new();
        let mut complete = true;
        let mut stack = vec![class];
        while let Some(id) = stack.pop() {
            if order.contains(&id) || order.len() > 64 {
                continue;
            }
            let Some(current) = self.classes.get(id) else {
                continue;
            };
            order.push(id);
            for base in current.bases.iter().rev() {
                if base == "object" {
                    continue;
                }
                match self
                    .classes
                    .iter()
                    .position(|c| c.top_level && &c.name == base)
                {
                    Some(found) => stack.push(found),
                    None => complete = false,
                }
            }
        }
        (order, complete)
    }
}

/// The innermost class whose body holds `offset`.
fn innermost_class(file: &FileModel, offset: usize) -> Option<ClassId> {
    file.classes
        .iter()
        .filter(|c| c.body.contains(offset))
        .min_by_key(|c| c.body.len())
        .map(|c| c.id)
}

/// The names the `parametrize` marks of a `pytestmark` value supply, and whether some mark
/// could not be read.
fn pytestmark_names(file: &FileModel, value: Node) -> (Vec<String>, bool) {
    let marks: Vec<Node> = match kind(value) {
        Kind::List | Kind::Tuple => crate::syntax::named_children(value).collect(),
        _ => vec![value],
    };
    let mut names = Vec::new();
    let mut open = false;
    for mark in marks {
        match mark_expression(file, mark) {
            Decoration::Parametrize(Some(found)) => names.extend(found.direct),
            Decoration::Inert | Decoration::Usefixtures { .. } => {}
            _ => open = true,
        }
    }
    (names, open)
}

/// A docstring without its common indentation and surrounding blank lines.
pub fn clean_docstring(text: &str) -> String {
    let text = text.replace("\\n", "\n");
    let lines: Vec<&str> = text.lines().collect();
    let indent = lines
        .iter()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out: Vec<String> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if i == 0 {
            out.push(line.trim().to_string());
        } else {
            out.push(
                line.get(indent..)
                    .unwrap_or(line.trim_start())
                    .trim_end()
                    .to_string(),
            );
        }
    }
    out.join("\n").trim().to_string()
}

/// A fixture pytest itself provides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuiltinFixture {
    pub name: &'static str,
    pub scope: &'static str,
    pub summary: &'static str,
    /// Requesting it without using it does nothing: the parameter can simply go.
    pub inert: bool,
}

/// pytest's built-in fixtures (pytest 8.4).
pub const BUILTIN_FIXTURES: &[BuiltinFixture] = &[
    BuiltinFixture {
        name: "request",
        scope: "function",
        summary: "Information about the requesting test or fixture, and `getfixturevalue`.",
        inert: true,
    },
    BuiltinFixture {
        name: "tmp_path",
        scope: "function",
        summary: "A fresh temporary directory for the test, as a `pathlib.Path`.",
        inert: true,
    },
    BuiltinFixture {
        name: "tmp_path_factory",
        scope: "session",
        summary: "Creates temporary directories for broader-scoped fixtures.",
        inert: true,
    },
    BuiltinFixture {
        name: "tmpdir",
        scope: "function",
        summary: "A fresh temporary directory as a legacy `py.path.local`; prefer `tmp_path`.",
        inert: true,
    },
    BuiltinFixture {
        name: "tmpdir_factory",
        scope: "session",
        summary: "Legacy `py.path` counterpart of `tmp_path_factory`.",
        inert: true,
    },
    BuiltinFixture {
        name: "capsys",
        scope: "function",
        summary: "Captures writes to `sys.stdout` and `sys.stderr` as text.",
        inert: false,
    },
    BuiltinFixture {
        name: "capsysbinary",
        scope: "function",
        summary: "Captures writes to `sys.stdout` and `sys.stderr` as bytes.",
        inert: false,
    },
    BuiltinFixture {
        name: "capteesys",
        scope: "function",
        summary: "Captures `sys.stdout`/`sys.stderr` while still passing them through.",
        inert: false,
    },
    BuiltinFixture {
        name: "capfd",
        scope: "function",
        summary: "Captures output to file descriptors 1 and 2 as text.",
        inert: false,
    },
    BuiltinFixture {
        name: "capfdbinary",
        scope: "function",
        summary: "Captures output to file descriptors 1 and 2 as bytes.",
        inert: false,
    },
    BuiltinFixture {
        name: "caplog",
        scope: "function",
        summary: "Captures log records; sets levels with `caplog.set_level`.",
        inert: false,
    },
    BuiltinFixture {
        name: "monkeypatch",
        scope: "function",
        summary: "Sets attributes, items and environment variables, undone after the test.",
        inert: true,
    },
    BuiltinFixture {
        name: "pytestconfig",
        scope: "session",
        summary: "The session's `pytest.Config`.",
        inert: true,
    },
    BuiltinFixture {
        name: "record_property",
        scope: "function",
        summary: "Adds a property to the test's JUnit XML report.",
        inert: true,
    },
    BuiltinFixture {
        name: "record_xml_attribute",
        scope: "function",
        summary: "Adds an attribute to the test's JUnit XML `testcase` element.",
        inert: true,
    },
    BuiltinFixture {
        name: "record_testsuite_property",
        scope: "session",
        summary: "Adds a property to the JUnit XML `testsuite`.",
        inert: true,
    },
    BuiltinFixture {
        name: "recwarn",
        scope: "function",
        summary: "Records the warnings the test emits.",
        inert: false,
    },
    BuiltinFixture {
        name: "cache",
        scope: "function",
        summary: "The cross-session cache (`.pytest_cache`).",
        inert: true,
    },
    BuiltinFixture {
        name: "doctest_namespace",
        scope: "session",
        summary: "The namespace doctests run in.",
        inert: true,
    },
    BuiltinFixture {
        name: "subtests",
        scope: "function",
        summary: "Runs parts of a test as separately reported subtests.",
        inert: false,
    },
    BuiltinFixture {
        name: "pytester",
        scope: "function",
        summary: "Runs pytest in a temporary directory, for testing plugins.",
        inert: false,
    },
    BuiltinFixture {
        name: "testdir",
        scope: "function",
        summary: "Legacy `py.path` counterpart of `pytester`.",
        inert: false,
    },
    BuiltinFixture {
        name: "linecomp",
        scope: "function",
        summary: "A `LineComp` for matching output lines (pytester).",
        inert: true,
    },
    BuiltinFixture {
        name: "LineMatcher",
        scope: "function",
        summary: "The `LineMatcher` class (pytester).",
        inert: true,
    },
];

/// Fixtures of pytest's own plugins that must be enabled (`-p pytester`), private ones included.
const PYTESTER_PRIVATE: &[BuiltinFixture] = &[
    BuiltinFixture {
        name: "_sys_snapshot",
        scope: "function",
        summary: "Restores `sys.modules` and `sys.path` after the test (pytester).",
        inert: false,
    },
    BuiltinFixture {
        name: "_config_for_test",
        scope: "function",
        summary: "A fresh `pytest.Config`, cleaned up after the test (pytester).",
        inert: true,
    },
];

pub fn builtin_fixture(name: &str) -> Option<&'static BuiltinFixture> {
    BUILTIN_FIXTURES
        .iter()
        .chain(PYTESTER_PRIVATE)
        .find(|b| b.name == name)
}

/// Plugin fixtures that do nothing until used.
pub const INERT_PLUGIN_FIXTURES: &[&str] = &[
    "mocker",
    "class_mocker",
    "module_mocker",
    "package_mocker",
    "session_mocker",
    "unused_tcp_port",
    "unused_tcp_port_factory",
    "unused_udp_port",
    "unused_udp_port_factory",
    "rf",
    "async_rf",
    "django_user_model",
    "django_username_field",
    "worker_id",
    "testrun_uid",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Removes parameter `index` of the first function of `source`.
    fn without(source: &str, index: usize) -> Option<String> {
        let tree = crate::parse::parse(source, None);
        let function = tree.root_node().named_child(0).expect("def");
        let parameters = field(function, Field::Parameters).expect("parameters");
        let items: Vec<Node> = crate::syntax::named_children(parameters).collect();
        let range = deletion_range(source, &items, index)?;
        Some(format!(
            "{}{}",
            &source[..range.start],
            &source[range.end..]
        ))
    }

    #[test]
    fn parameters_are_removed_with_their_comma() {
        assert_eq!(
            without("def f(a, b, c): pass", 1).unwrap(),
            "def f(a, c): pass"
        );
        assert_eq!(without("def f(a, b): pass", 1).unwrap(), "def f(a): pass");
        assert_eq!(without("def f(a, b): pass", 0).unwrap(), "def f(b): pass");
        assert_eq!(without("def f(a): pass", 0).unwrap(), "def f(): pass");
        assert_eq!(without("def f(a,): pass", 0).unwrap(), "def f(): pass");
        assert_eq!(without("def f(a, b,): pass", 1).unwrap(), "def f(a,): pass");
        assert_eq!(
            without("def f(\n    a,\n    b,\n):\n    pass", 1).unwrap(),
            "def f(\n    a,\n):\n    pass"
        );
        assert_eq!(
            without("def f(\n    a,\n    b\n):\n    pass", 1).unwrap(),
            "def f(\n    a,\n):\n    pass"
        );
        assert_eq!(
            without("def f(a, *, b, c): pass", 2).unwrap(),
            "def f(a, *, c): pass"
        );
        assert_eq!(without("def f(a, *, b): pass", 2), None);
        assert_eq!(without("def f(a,  # why\n      b): pass", 1), None);
    }

    #[test]
    fn docstrings_are_dedented() {
        assert_eq!(
            clean_docstring("First line.\n\n    More text\n      indented.\n    "),
            "First line.\n\nMore text\n  indented."
        );
    }

    fn module(source: &str) -> ModuleFixtures {
        ModuleFixtures::parse(source, Path::new("/p/tests/test_x.py"))
    }

    #[test]
    fn module_fixtures_and_flags() {
        let m = module(
            "import pytest\nfrom .helpers import shared\n\n@pytest.fixture(scope='module', name='db')\ndef _db():\n    \"\"\"The database.\"\"\"\n\nclient = make_client_fixture()\n\npytestmark = [pytest.mark.parametrize('flavor', [1]), pytest.mark.slow]\n\nclass TestA:\n    pytestmark = pytest.mark.parametrize(('x', 'y'), [])\n\n    @pytest.fixture\n    def local(self):\n        pass\n",
        );
        assert_eq!(m.fixtures.len(), 1);
        assert_eq!(m.fixtures[0].name, "db");
        assert_eq!(m.fixtures[0].function, "_db");
        assert_eq!(m.fixtures[0].scope, "module");
        assert_eq!(m.fixtures[0].docstring.as_deref(), Some("The database."));
        assert!(m.may_provide("shared") && m.may_provide("client"));
        assert!(!m.may_provide("_db"));
        assert_eq!(m.parametrized, vec!["flavor"]);
        assert_eq!(m.classes[0].parametrized, vec!["x", "y"]);
        assert_eq!(m.classes[0].fixtures[0].name, "local");
        assert!(!m.open);
        assert!(module("from fixtures import *\n").open);
        assert!(module("pytest_plugins = ['a.b']\n").open);
        assert!(module("def pytest_generate_tests(metafunc):\n    pass\n").generates_tests);
    }

    #[test]
    fn class_chain_follows_in_file_bases() {
        let m = module(
            "class Base:\n    pass\n\nclass TestA(Base):\n    pass\n\nclass TestB(External):\n    pass\n",
        );
        assert_eq!(m.class_chain(1), (vec![1, 0], true));
        assert!(!m.class_chain(2).1);
    }
}
