//! Owned, position-tagged facts about each function, for file checks.
//!
//! A summary is computed in the same pass as the function checks and holds no tree nodes, so
//! the language server can keep it across edits (shifting its ranges when the unit moves).

use std::collections::HashSet;

use crate::model::{ClassId, FunctionKind};
use crate::rule::FunctionContext;
use crate::scope::NameBinding;
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;

/// An assignment to `self.<name>` in a function.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SelfWrite {
    pub name: String,
    /// The `self.<name>` target.
    pub target: TextRange,
    /// The whole assignment statement.
    pub statement: TextRange,
    /// The assigned value, when there is one.
    pub value: Option<TextRange>,
    /// Whether the assignment carries an annotation (`self.x: int = 1`).
    pub annotated: bool,
    /// The value's type when it is evident from the value alone, spelled so that it can be
    /// written in the class body: `X(...)` and `self.useFixture(X(...))` give `X` as written,
    /// `mock.patch(...).start()` gives `mock.MagicMock` (through the file's `mock` import),
    /// literals give their builtin type. Only names imported or defined at module level are
    /// used (a class of this file may still be defined below the class using it).
    pub evident_type: Option<String>,
}

/// What file checks need to know about one function.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FunctionSummary {
    pub name: String,
    pub name_range: TextRange,
    /// The definition, decorators included.
    pub range: TextRange,
    pub kind: FunctionKind,
    /// The class of the unit this function belongs to.
    pub class: Option<ClassId>,
    /// The enclosing function, as an index into the file's summaries.
    pub parent: Option<usize>,
    pub is_async: bool,
    pub has_docstring: bool,
    /// It (or a function nested in it) asserts directly: an `assert`, a call matching the
    /// assertion-helper patterns, `self.fail*`, `pytest.raises/warns/fail`.
    pub asserts: bool,
    /// Methods called on `self`/`cls` (sorted, deduplicated), nested functions included.
    pub self_calls: Vec<String>,
    /// Plain names called (`helper(...)`), nested functions included.
    pub bare_calls: Vec<String>,
    /// Attributes read from `self`/`cls`, nested functions included.
    pub self_reads: Vec<String>,
    /// Assignments to `self.<name>` in this function's own body.
    pub self_writes: Vec<SelfWrite>,
    /// Parameters and locals, with their occurrences and safe renames (see [`crate::scope`]).
    pub bindings: Vec<NameBinding>,
    /// Names passed as keyword arguments in this function's own body (sorted, deduplicated).
    pub keyword_arguments: Vec<String>,
    /// The decorators, each as the dotted path its expression (or callee) resolves to, else as
    /// written: `unittest.mock.patch.object`, `staticmethod`, `ddt.data`.
    pub decorators: Vec<String>,
    /// A method of a class defined inside another function.
    pub local_method: bool,
    /// camelCase names this function's own body uses as attribute names (`spec.cpuAllocation`),
    /// keyword argument names (`f(sourceName=...)`) or words of string literals
    /// (`kwargs.get('sourceName')`, `'Host.getCapabilities'`): names of some API it talks to
    /// (sorted, deduplicated).
    pub camel_api_names: Vec<String>,
    /// Methods called through `super()` (`super().setUp()`), nested functions included.
    pub super_calls: Vec<String>,
    /// `self` is handed to code that may read any of its attributes: a function call with
    /// `self` as an argument (`helpers.check(self)`, `vars(self)`, `getattr(self, name)` with
    /// a computed name). Constructors (`Fixture(self)`), `super(..., self)` and builtins that
    /// only inspect the object are not counted, and `getattr(self, "x")`-style calls with a
    /// literal name count as a read of `x` instead. Nested functions included.
    pub self_escapes: bool,
}

impl FunctionSummary {
    /// Moves every range by `delta` bytes and every parent index by `parent_offset`.
    pub fn shift(&mut self, delta: isize, parent_offset: usize) {
        self.name_range = self.name_range.shifted(delta);
        self.range = self.range.shifted(delta);
        self.parent = self.parent.map(|p| p + parent_offset);
        for write in &mut self.self_writes {
            write.target = write.target.shifted(delta);
            write.statement = write.statement.shifted(delta);
            write.value = write.value.map(|v| v.shifted(delta));
        }
        for binding in &mut self.bindings {
            binding.shift(delta);
        }
    }

    pub fn is_test(&self) -> bool {
        self.kind.is_test()
    }
}

/// Whether `node` is `self` or `cls`.
pub fn is_self(source: &str, node: tree_sitter::Node) -> bool {
    kind(node) == Kind::Identifier && matches!(source.get(node.byte_range()), Some("self" | "cls"))
}

/// Whether a call asserts something by itself.
pub fn is_assertion_call(ctx: &FunctionContext, call: tree_sitter::Node) -> bool {
    let Some(function) = field(call, Field::Function) else {
        return false;
    };
    let source = ctx.source();
    let last = match kind(function) {
        Kind::Identifier => source.get(function.byte_range()),
        Kind::Attribute => {
            field(function, Field::Attribute).and_then(|a| source.get(a.byte_range()))
        }
        _ => None,
    };
    let Some(last) = last else { return false };
    if ctx.settings.is_assertion_helper(last) {
        return true;
    }
    if last.starts_with("fail")
        && kind(function) == Kind::Attribute
        && field(function, Field::Object).is_some_and(|o| is_self(source, o))
    {
        return true;
    }
    matches!(
        ctx.callee(call).as_deref(),
        Some("pytest.raises" | "pytest.warns" | "pytest.fail" | "pytest.deprecated_call")
    )
}

/// Whether a function asserts in its own body (not counting nested functions).
pub fn asserts_directly(ctx: &FunctionContext, function: &crate::unit::Function) -> bool {
    if !function.nodes(Kind::AssertStatement).is_empty() {
        return true;
    }
    let source = ctx.source();
    let raises_assertion = function.nodes(Kind::RaiseStatement).iter().any(|raise| {
        raise.named_child(0).is_some_and(|e| {
            let callee = if kind(e) == Kind::Call {
                field(e, Field::Function)
            } else {
                Some(e)
            };
            callee
                .and_then(|c| source.get(c.byte_range()))
                .is_some_and(|t| t == "AssertionError" || t.ends_with(".failureException"))
        })
    });
    if raises_assertion {
        return true;
    }
    let nested = FunctionContext { function, ..*ctx };
    function
        .nodes(Kind::Call)
        .iter()
        .any(|call| is_assertion_call(&nested, *call))
}

/// Summarises the function of `ctx`.
pub fn summarize(ctx: &FunctionContext) -> FunctionSummary {
    let function = ctx.function;
    let source = ctx.source();
    let mut scope = vec![function];
    scope.extend(ctx.descendants());
    let mut asserts = false;
    let mut self_calls = Vec::new();
    let mut bare_calls = Vec::new();
    let mut self_reads = Vec::new();
    let mut super_calls = Vec::new();
    let mut self_escapes = false;
    for f in &scope {
        asserts = asserts || asserts_directly(ctx, f);
        for call in f.nodes(Kind::Call) {
            let Some(callee) = field(*call, Field::Function) else {
                continue;
            };
            match kind(callee) {
                Kind::Identifier => bare_calls.push(source[callee.byte_range()].to_string()),
                Kind::Attribute => {
                    if let (Some(object), Some(attribute)) = (
                        field(callee, Field::Object),
                        field(callee, Field::Attribute),
                    ) {
                        if is_self(source, object) {
                            self_calls.push(source[attribute.byte_range()].to_string());
                        } else if is_super_call(source, object) {
                            super_calls.push(source[attribute.byte_range()].to_string());
                        }
                    }
                }
                _ => {}
            }
            match self_argument_use(source, *call) {
                SelfArgument::None => {}
                SelfArgument::Reads(name) => self_reads.push(name.to_string()),
                SelfArgument::Escapes => self_escapes = true,
            }
        }
        for attribute in f.nodes(Kind::Attribute) {
            let (Some(object), Some(name)) = (
                field(*attribute, Field::Object),
                field(*attribute, Field::Attribute),
            ) else {
                continue;
            };
            if is_self(source, object) && !is_plain_assignment_target(*attribute) {
                self_reads.push(source[name.byte_range()].to_string());
            }
        }
    }
    for list in [
        &mut self_calls,
        &mut bare_calls,
        &mut self_reads,
        &mut super_calls,
    ] {
        list.sort_unstable();
        list.dedup();
    }
    let bindings = crate::scope::bindings(ctx);
    let self_writes = self_writes(ctx, function, &bindings);
    let mut keyword_arguments: Vec<String> = function
        .nodes(Kind::KeywordArgument)
        .iter()
        .filter_map(|k| field(*k, Field::Name))
        .map(|n| source[n.byte_range()].to_string())
        .collect();
    keyword_arguments.sort_unstable();
    keyword_arguments.dedup();
    let decorators = function
        .decorators
        .iter()
        .filter_map(|d| d.named_child(0))
        .map(|expression| {
            let target = if kind(expression) == Kind::Call {
                field(expression, Field::Function).unwrap_or(expression)
            } else {
                expression
            };
            ctx.resolve(target)
                .or_else(|| crate::model::dotted_name(source, target))
                .unwrap_or_else(|| ctx.text(target).to_string())
        })
        .collect();
    FunctionSummary {
        name: function.name.to_string(),
        name_range: TextRange::of(function.name_node),
        range: TextRange::of(function.outer),
        kind: function.kind,
        class: ctx.unit.root().class,
        parent: function.parent,
        is_async: function.is_async,
        has_docstring: function.docstring.is_some(),
        asserts,
        self_calls,
        bare_calls,
        self_reads,
        self_writes,
        bindings,
        keyword_arguments,
        decorators,
        local_method: crate::scope::is_local_method(function),
        camel_api_names: camel_api_names(ctx, function),
        super_calls,
        self_escapes,
    }
}

/// `super()` or `super(Class, self)`.
fn is_super_call(source: &str, node: tree_sitter::Node) -> bool {
    kind(node) == Kind::Call
        && field(node, Field::Function).is_some_and(|f| {
            kind(f) == Kind::Identifier && source.get(f.byte_range()) == Some("super")
        })
}

/// What a call does with `self` when it receives it as an argument.
enum SelfArgument<'s> {
    /// `self` is not an argument, or the callee only inspects the object.
    None,
    /// `getattr(self, "x")`, `mock.patch.object(self, "x")`: attribute `x` is read.
    Reads(&'s str),
    /// The callee may read any attribute.
    Escapes,
}

fn self_argument_use<'s>(source: &'s str, call: tree_sitter::Node) -> SelfArgument<'s> {
    const INSPECTS_ONLY: &[&str] = &[
        "super",
        "isinstance",
        "issubclass",
        "type",
        "id",
        "hash",
        "repr",
        "str",
        "print",
        "callable",
    ];
    let arguments = crate::model::call_arguments(call);
    let Some(position) = arguments.iter().position(|a| {
        argument_value(*a).is_some_and(|v| {
            kind(v) == Kind::Identifier && source.get(v.byte_range()) == Some("self")
        })
    }) else {
        return SelfArgument::None;
    };
    // `getattr(self, "x")`, `mock.patch.object(self, "x", ...)`: a named attribute.
    if let Some(next) = arguments.get(position + 1)
        && kind(*next) == Kind::String
        && let Some(name) = crate::model::string_literal_value(source, *next)
        && !name.is_empty()
        && name.chars().all(|c| c == '_' || c.is_alphanumeric())
    {
        return SelfArgument::Reads(name);
    }
    let Some(callee) = field(call, Field::Function) else {
        return SelfArgument::Escapes;
    };
    let last = match kind(callee) {
        Kind::Identifier => source.get(callee.byte_range()),
        Kind::Attribute => field(callee, Field::Attribute).and_then(|a| source.get(a.byte_range())),
        _ => None,
    };
    let Some(last) = last else {
        return SelfArgument::Escapes;
    };
    if (kind(callee) == Kind::Identifier && INSPECTS_ONLY.contains(&last))
        || last.starts_with(|c: char| c.is_ascii_uppercase())
        || (kind(callee) == Kind::Attribute
            && field(callee, Field::Object).is_some_and(|o| is_self(source, o)))
    {
        // Builtins that only inspect the object; constructors (a fixture keeping the test to
        // call its API); a method of the test itself, whose own reads are followed.
        return SelfArgument::None;
    }
    SelfArgument::Escapes
}

/// `self.x` as the whole left side of `=` (a write, not a read). `self.x += 1` reads too.
fn is_plain_assignment_target(attribute: tree_sitter::Node) -> bool {
    let mut node = attribute;
    // Walk up through tuple targets: `self.a, self.b = ...`.
    while let Some(parent) = node.parent() {
        match kind(parent) {
            Kind::PatternList | Kind::TuplePattern | Kind::ListPattern | Kind::ExpressionList => {
                node = parent
            }
            Kind::Assignment => {
                return field(parent, Field::Left) == Some(node);
            }
            _ => return false,
        }
    }
    false
}

fn self_writes(
    ctx: &FunctionContext,
    function: &crate::unit::Function,
    bindings: &[NameBinding],
) -> Vec<SelfWrite> {
    let source = ctx.source();
    let locals: HashSet<&str> = bindings.iter().map(|b| b.name.as_str()).collect();
    let mut out = Vec::new();
    for assignment in function.nodes(Kind::Assignment) {
        let Some(left) = field(*assignment, Field::Left) else {
            continue;
        };
        let targets: Vec<tree_sitter::Node> = if kind(left) == Kind::Attribute {
            vec![left]
        } else if matches!(
            kind(left),
            Kind::PatternList | Kind::TuplePattern | Kind::ExpressionList
        ) {
            let mut cursor = left.walk();
            left.named_children(&mut cursor)
                .filter(|n| kind(*n) == Kind::Attribute)
                .collect()
        } else {
            continue;
        };
        let statement = assignment
            .parent()
            .filter(|p| kind(*p) == Kind::ExpressionStatement);
        for target in targets {
            let (Some(object), Some(name)) = (
                field(target, Field::Object),
                field(target, Field::Attribute),
            ) else {
                continue;
            };
            if !is_self(source, object) {
                continue;
            }
            out.push(SelfWrite {
                name: source[name.byte_range()].to_string(),
                target: TextRange::of(target),
                statement: TextRange::of(statement.unwrap_or(*assignment)),
                value: field(*assignment, Field::Right).map(TextRange::of),
                annotated: field(*assignment, Field::Type).is_some(),
                evident_type: field(*assignment, Field::Right)
                    .filter(|_| kind(left) == Kind::Attribute)
                    .and_then(|value| evident_type(ctx, function, &locals, value)),
            });
        }
    }
    out
}

/// See [`FunctionSummary::camel_api_names`].
fn camel_api_names(ctx: &FunctionContext, function: &crate::unit::Function) -> Vec<String> {
    use crate::naming::NameStyle;
    let mut out: Vec<String> = Vec::new();
    let mut add = |word: &str| {
        if NameStyle::of(word) == Some(NameStyle::Camel) {
            out.push(word.to_string());
        }
    };
    for attribute in function.nodes(Kind::Attribute) {
        if let Some(name) = field(*attribute, Field::Attribute) {
            add(ctx.text(name));
        }
    }
    for keyword in function.nodes(Kind::KeywordArgument) {
        if let Some(name) = field(*keyword, Field::Name) {
            add(ctx.text(name));
        }
    }
    for string in function.nodes(Kind::StringContent) {
        for word in ctx
            .text(*string)
            .split(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
        {
            add(word);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Builtin types a call or literal can evidently produce.
const BUILTIN_TYPES: &[&str] = &[
    "dict",
    "list",
    "set",
    "tuple",
    "frozenset",
    "str",
    "int",
    "float",
    "bool",
    "bytes",
    "bytearray",
    "complex",
    "object",
];

/// The evident type of an assigned value (see [`SelfWrite::evident_type`]).
fn evident_type(
    ctx: &FunctionContext,
    function: &crate::unit::Function,
    locals: &HashSet<&str>,
    value: tree_sitter::Node,
) -> Option<String> {
    let source = ctx.source();
    let builtin = |name: &str| -> Option<String> {
        let shadowed = ctx.file.module_names.contains(name)
            || ctx.file.imports.get(name).is_some()
            || locals.contains(name)
            || function.local_imports.get(name).is_some();
        (!shadowed).then(|| name.to_string())
    };
    match kind(value) {
        Kind::Integer => builtin("int"),
        Kind::Float => builtin("float"),
        Kind::True | Kind::False => builtin("bool"),
        Kind::String | Kind::ConcatenatedString => {
            let start =
                source.get(value.start_byte()..value.end_byte().min(value.start_byte() + 3))?;
            let prefix: String = start
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            if prefix.contains(['b', 'B']) {
                builtin("bytes")
            } else {
                builtin("str")
            }
        }
        Kind::List | Kind::ListComprehension => builtin("list"),
        Kind::Dictionary | Kind::DictionaryComprehension => builtin("dict"),
        Kind::Set | Kind::SetComprehension => builtin("set"),
        Kind::Tuple => builtin("tuple"),
        Kind::UnaryOperator => {
            let operand = field(value, Field::Argument)?;
            matches!(kind(operand), Kind::Integer | Kind::Float)
                .then(|| evident_type(ctx, function, locals, operand))
                .flatten()
        }
        Kind::Call => {
            let callee = field(value, Field::Function)?;
            if kind(callee) == Kind::Attribute {
                let object = field(callee, Field::Object)?;
                let attribute = source.get(field(callee, Field::Attribute)?.byte_range())?;
                // self.useFixture(X(...)) gives the fixture.
                if attribute == "useFixture" && is_self(source, object) {
                    let arguments = crate::model::call_arguments(value);
                    let [argument] = arguments.as_slice() else {
                        return None;
                    };
                    return (kind(*argument) == Kind::Call)
                        .then(|| evident_type(ctx, function, locals, *argument))
                        .flatten();
                }
                // mock.patch(...).start() and mock.patch.object(...).start() give a MagicMock
                // unless `new`, `new_callable` or `autospec` say otherwise.
                if attribute == "start" && kind(object) == Kind::Call {
                    return patcher_start_type(ctx, function, object);
                }
            }
            let path = crate::model::dotted_name(source, callee)?;
            let root = path.split('.').next()?;
            let last = path.rsplit('.').next()?;
            if path == root && BUILTIN_TYPES.contains(&root) {
                return builtin(root);
            }
            let class_like = last.starts_with(|c: char| c.is_ascii_uppercase())
                && last.chars().any(|c| c.is_ascii_lowercase());
            let module_level = (ctx.file.imports.get(root).is_some()
                || ctx.file.module_names.contains(root))
                && !locals.contains(root)
                && function.local_imports.get(root).is_none()
                && !matches!(root, "self" | "cls");
            (class_like && module_level).then_some(path)
        }
        _ => None,
    }
}

/// `mock.MagicMock`, spelled through the file's imports, for a patcher's `start()`.
fn patcher_start_type(
    ctx: &FunctionContext,
    function: &crate::unit::Function,
    patcher: tree_sitter::Node,
) -> Option<String> {
    let callee = ctx.callee(patcher)?;
    let new_position = match callee.as_str() {
        "unittest.mock.patch" => 1,
        "unittest.mock.patch.object" => 2,
        _ => return None,
    };
    let source = ctx.source();
    if crate::model::positional_arguments(patcher).len() > new_position
        || crate::model::has_dictionary_splat(patcher)
        || ["new", "new_callable", "autospec"]
            .iter()
            .any(|k| crate::model::keyword_argument(source, patcher, k).is_some())
    {
        return None;
    }
    let spelled = ctx.file.imports.spell("unittest.mock.MagicMock")?;
    let root = spelled.split('.').next()?;
    function
        .local_imports
        .get(root)
        .is_none()
        .then_some(spelled)
}

/// The value of a positional or keyword argument.
fn argument_value(argument: tree_sitter::Node) -> Option<tree_sitter::Node> {
    if kind(argument) == Kind::KeywordArgument {
        field(argument, Field::Value)
    } else {
        Some(argument)
    }
}
