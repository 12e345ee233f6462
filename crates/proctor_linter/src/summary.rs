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
    /// For a pytest test or fixture (a unit's own function): its fixture parameters and marks.
    pub pytest: Option<Box<crate::workspace::pytest_syntax::PytestFacts>>,
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
        if let Some(pytest) = &mut self.pytest {
            pytest.shift(delta);
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
                    ) && is_self(source, object)
                    {
                        self_calls.push(source[attribute.byte_range()].to_string());
                    }
                }
                _ => {}
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
    for list in [&mut self_calls, &mut bare_calls, &mut self_reads] {
        list.sort_unstable();
        list.dedup();
    }
    let self_writes = self_writes(ctx, function);
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
        pytest: crate::workspace::pytest_syntax::function_facts(ctx),
    }
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
