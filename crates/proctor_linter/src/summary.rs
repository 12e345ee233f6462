//! Owned, position-tagged facts about each function, for file checks.
//!
//! A summary is computed in the same pass as the function checks and holds no tree nodes, so
//! the language server can keep it across edits (shifting its ranges when the unit moves).

use crate::model::{ClassId, FunctionKind};
use crate::rule::FunctionContext;
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
}

/// A resource a function acquires and does not release itself (see TQ702).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Resource {
    pub kind: ResourceKind,
    /// The call that acquires it (`patcher.start()`, `tempfile.mkdtemp()`, `open(...)`).
    pub range: TextRange,
    /// How messages show that call.
    pub shown: String,
    /// The name or `self.` attribute that holds it, if any.
    pub handle: Option<String>,
    /// Where a statement releasing it would go (the start of the line after the statement
    /// that acquires it), and that statement's indentation.
    pub insert_at: Option<usize>,
    pub indent: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// `patcher.start()` of a `mock.patch(...)`.
    Patcher,
    /// `tempfile.mkdtemp()`.
    TempDirectory,
    /// `tempfile.NamedTemporaryFile(delete=False)`.
    TempFile,
    /// `open(...)` outside `with`.
    OpenFile,
    /// `threading.Thread(...).start()`.
    Thread,
    /// `multiprocessing.Process(...).start()`.
    Process,
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
    /// Methods called through `super()` (`super().setUp()`) or on a base class with `self`
    /// (`Base.setUp(self)`, `Base.setUpClass()`), nested functions included.
    pub super_calls: Vec<String>,
    /// `self` is handed to code that may read any of its attributes: a function call with
    /// `self` as an argument (`helpers.check(self)`, `vars(self)`, `getattr(self, name)` with
    /// a computed name). Constructors (`Fixture(self)`), `super(..., self)` and builtins that
    /// only inspect the object are not counted, and `getattr(self, "x")`-style calls with a
    /// literal name count as a read of `x` instead. Nested functions included.
    pub self_escapes: bool,
    /// Attributes read through objects other than `self`/`cls` (`inst.force` and
    /// `self.inst.force` both give `force`), nested functions included: a helper that keeps the
    /// test case under another name reads its attributes this way.
    pub attribute_reads: Vec<String>,
    /// Resources acquired in this function's own body and not released there (TQ702).
    pub resources: Vec<Resource>,
    /// It (or a function nested in it) stops every patch: mentions `mock.patch.stopall`.
    pub stops_all_patches: bool,
    /// It (or a function nested in it) installs `fixtures.NestedTempfile`, which removes
    /// everything `tempfile` creates during the test.
    pub nests_temp_files: bool,
}

impl FunctionSummary {
    pub(crate) fn shift(&mut self, delta: isize, parent_offset: usize) {
        self.name_range = self.name_range.shifted(delta);
        self.range = self.range.shifted(delta);
        self.parent = self.parent.map(|p| p + parent_offset);
        for write in &mut self.self_writes {
            write.target = write.target.shifted(delta);
            write.statement = write.statement.shifted(delta);
            write.value = write.value.map(|v| v.shifted(delta));
        }
        for resource in &mut self.resources {
            resource.range = resource.range.shifted(delta);
            resource.insert_at = resource.insert_at.map(|at| at.saturating_add_signed(delta));
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
    let mut attribute_reads = Vec::new();
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
                        let method = &source[attribute.byte_range()];
                        if is_self(source, object) {
                            self_calls.push(method.to_string());
                        } else if is_super_call(source, object)
                            || is_base_class_call(source, *call, object, method)
                        {
                            super_calls.push(method.to_string());
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
            if is_plain_assignment_target(*attribute) {
                continue;
            }
            if is_self(source, object) {
                self_reads.push(source[name.byte_range()].to_string());
            } else {
                attribute_reads.push(source[name.byte_range()].to_string());
            }
        }
    }
    for list in [
        &mut self_calls,
        &mut bare_calls,
        &mut self_reads,
        &mut super_calls,
        &mut attribute_reads,
    ] {
        list.sort_unstable();
        list.dedup();
    }
    let self_writes = self_writes(ctx, function);
    let stops_all_patches = scope.iter().any(|f| {
        f.nodes(Kind::Attribute).iter().any(|a| {
            field(*a, Field::Attribute).is_some_and(|n| &source[n.byte_range()] == "stopall")
        })
    });
    let nests_temp_files = scope.iter().any(|f| {
        f.nodes(Kind::Call).iter().any(|c| {
            field(*c, Field::Function)
                .is_some_and(|callee| source[callee.byte_range()].ends_with("NestedTempfile"))
        })
    });
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
        super_calls,
        self_escapes,
        attribute_reads,
        resources: crate::rules::resource_without_cleanup::resources(ctx),
        stops_all_patches,
        nests_temp_files,
    }
}

/// `super()` or `super(Class, self)`.
fn is_super_call(source: &str, node: tree_sitter::Node) -> bool {
    kind(node) == Kind::Call
        && field(node, Field::Function).is_some_and(|f| {
            kind(f) == Kind::Identifier && source.get(f.byte_range()) == Some("super")
        })
}

/// `Base.setUp(self)` — a method of a class called on `self` explicitly, the way code written
/// before `super()` calls the base class — or `Base.setUpClass()` in a class method.
fn is_base_class_call(
    source: &str,
    call: tree_sitter::Node,
    object: tree_sitter::Node,
    method: &str,
) -> bool {
    let class_like = match kind(object) {
        Kind::Identifier => source.get(object.byte_range()),
        Kind::Attribute => field(object, Field::Attribute).and_then(|a| source.get(a.byte_range())),
        _ => None,
    }
    .is_some_and(|name| name.starts_with(|c: char| c.is_ascii_uppercase()));
    if !class_like {
        return false;
    }
    let arguments = crate::model::positional_arguments(call);
    match arguments.first() {
        Some(first) => is_self(source, *first),
        None => crate::model::SetupKind::from_name(method, true).is_some(),
    }
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
    let on_class = kind(callee) == Kind::Attribute
        && field(callee, Field::Object).is_some_and(|o| {
            let name = match kind(o) {
                Kind::Identifier => source.get(o.byte_range()),
                Kind::Attribute => {
                    field(o, Field::Attribute).and_then(|a| source.get(a.byte_range()))
                }
                _ => None,
            };
            name.is_some_and(|n| n.starts_with(|c: char| c.is_ascii_uppercase()))
        })
        && position == 0;
    if on_class {
        // `Base.method(self, ...)`: a method of a base class, recorded in `super_calls`.
        return SelfArgument::None;
    }
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

fn self_writes(ctx: &FunctionContext, function: &crate::unit::Function) -> Vec<SelfWrite> {
    let source = ctx.source();
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
            });
        }
    }
    out
}

/// The value of a positional or keyword argument.
fn argument_value(argument: tree_sitter::Node) -> Option<tree_sitter::Node> {
    if kind(argument) == Kind::KeywordArgument {
        field(argument, Field::Value)
    } else {
        Some(argument)
    }
}
