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

/// What a function's body amounts to, ignoring comments and docstrings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BodyShape {
    /// Real statements.
    Statements,
    /// Nothing but `pass`, `...` and string literals (a docstring).
    Empty,
    /// `raise NotImplementedError` (with `pass`, `...` or strings around it at most): a method
    /// that subclasses are expected to override.
    NotImplemented,
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
    /// assertion-helper patterns, `self.fail*`, `pytest.raises/warns/fail`,
    /// `testtools.ExpectedException`, or a call that hands the check to its callee through a
    /// keyword argument named like an assertion helper (`check_response_status=[400]`).
    pub asserts: bool,
    /// Methods called on `self`/`cls` (sorted, deduplicated), nested functions included.
    pub self_calls: Vec<String>,
    /// Plain names called (`helper(...)`), nested functions included.
    pub bare_calls: Vec<String>,
    /// Attributes read from `self`/`cls`, nested functions included.
    pub self_reads: Vec<String>,
    /// Assignments to `self.<name>` in this function's own body.
    pub self_writes: Vec<SelfWrite>,
    /// Methods called through `super()` (`super().test_x()`), nested functions included.
    pub super_calls: Vec<String>,
    /// Callees, as written, of calls that hand `self` to something other than a method of
    /// `self` (`compare_obj(self, ...)`, `helpers.check(self)`): such a function can assert
    /// through the test case. In a module-level helper, a first parameter named for the test
    /// case counts as `self` (`def compare_obj(test, ...)`). Constructors (callees whose last
    /// name is capitalised) and the function's own parameters are left out. Nested functions
    /// included.
    pub self_passed_to: Vec<String>,
    /// Plain names handed to a call as an argument (`stub_out('x', fake_get)`,
    /// `side_effect=fake_get`): callbacks the callee may run. Nested functions included.
    pub passed_names: Vec<String>,
    /// Where the callees of calls lead through the imports (`helpers.check_order` for
    /// `helpers.check_order(..)` after `from tests import helpers`), nested functions included.
    pub imported_calls: Vec<String>,
    /// Where imported replacements lead: `side_effect=`/`new=`/`wraps=` values and the last
    /// argument of `stub_out(..)`/`setattr(..)`/`MonkeyPatch(..)` that are imported names
    /// (`fakes.stub_volume_get`), which the code under test will run. Nested functions included.
    pub imported_callbacks: Vec<String>,
    /// Parameters without a default value, `self` included (`*args`/`**kwargs` left out).
    pub required_parameters: usize,
    /// The function's decorators as dotted names (`mock.patch.object` for
    /// `@mock.patch.object(..)`), as written.
    pub decorators: Vec<String>,
    /// It (or a function nested in it) skips the test or declares it an expected failure:
    /// `self.skipTest(..)`, `pytest.skip(..)`, `pytest.xfail(..)`, `pytest.importorskip(..)`,
    /// raising `SkipTest`, or a decorator such as `@unittest.skip(..)`, `@pytest.mark.skip`,
    /// `@pytest.mark.xfail` or `@unittest.expectedFailure`.
    pub skips: bool,
    /// What the function's own body amounts to.
    pub body: BodyShape,
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
        Some(
            "pytest.raises"
                | "pytest.warns"
                | "pytest.fail"
                | "pytest.deprecated_call"
                | "testtools.ExpectedException"
                | "testtools.testcase.ExpectedException"
        )
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
    let mut self_passed_to = Vec::new();
    let mut passed_names = Vec::new();
    let mut imported_calls = Vec::new();
    let mut imported_callbacks = Vec::new();
    let mut skips = false;
    // The names the test case goes by: `self`, and in a module-level helper a first parameter
    // named for it (`def compare_obj(test, result, expected)`).
    let mut test_case_names = vec!["self"];
    if function.kind == FunctionKind::Helper
        && ctx.unit.root().class.is_none()
        && function.parent.is_none()
        && let Some(first) = function.parameter_list(source).first()
        && first.star.is_empty()
        && (first.name.contains("test") || matches!(first.name, "tc" | "case"))
    {
        test_case_names.push(first.name);
    }
    // A callable handed in as a parameter (a decorator's `f`) is followed where it is handed
    // over, not where it is called.
    let parameter_names: Vec<&str> = scope
        .iter()
        .flat_map(|f| f.parameter_list(source))
        .map(|p| p.name)
        .collect();
    for f in &scope {
        asserts = asserts || asserts_directly(ctx, f) || delegates_check(ctx, f);
        let nested = FunctionContext {
            function: f,
            ..*ctx
        };
        skips = skips || skips_directly(&nested, f);
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
            let arguments = crate::model::call_arguments(*call);
            let last_positional = crate::model::positional_arguments(*call).last().copied();
            let installs_replacement =
                crate::model::dotted_name(source, callee).is_some_and(|name| {
                    let last = name.rsplit('.').next().unwrap_or(&name);
                    matches!(last, "stub_out" | "setattr" | "MonkeyPatch")
                });
            for argument in arguments {
                let (value, keyword) = if kind(argument) == Kind::KeywordArgument {
                    (
                        field(argument, Field::Value),
                        field(argument, Field::Name).and_then(|n| source.get(n.byte_range())),
                    )
                } else {
                    (Some(argument), None)
                };
                if let Some(value) = value.filter(|v| kind(*v) == Kind::Identifier) {
                    passed_names.push(source[value.byte_range()].to_string());
                }
                // A replacement the code under test will run: `side_effect=`/`new=`/`wraps=`,
                // or the last argument of `stub_out(..)`/`setattr(..)`/`MonkeyPatch(..)`.
                let replacement = matches!(keyword, Some("side_effect" | "new" | "wraps"))
                    || (installs_replacement && Some(argument) == last_positional);
                if replacement
                    && let Some(path) = value
                        .filter(|v| matches!(kind(*v), Kind::Identifier | Kind::Attribute))
                        .and_then(|v| nested.resolve(v))
                {
                    imported_callbacks.push(path);
                }
            }
            if let Some(path) = nested.callee(*call) {
                imported_calls.push(path);
            }
            if passes_self(source, *call, &test_case_names)
                && let Some(name) = crate::model::dotted_name(source, callee)
                && !parameter_names.contains(&name.as_str())
                && !name.starts_with("self.")
                && !name.starts_with("cls.")
                && !name
                    .rsplit('.')
                    .next()
                    .is_some_and(|last| last.starts_with(|c: char| c.is_ascii_uppercase()))
            {
                self_passed_to.push(name);
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
        &mut self_passed_to,
        &mut passed_names,
        &mut imported_calls,
        &mut imported_callbacks,
    ] {
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
        super_calls,
        self_passed_to,
        passed_names,
        imported_calls,
        imported_callbacks,
        required_parameters: function
            .parameter_list(source)
            .iter()
            .filter(|p| !p.has_default && p.star.is_empty())
            .count(),
        decorators: function
            .decorators
            .iter()
            .filter_map(|decorator| {
                let expression = decorator.named_child(0)?;
                let target = if kind(expression) == Kind::Call {
                    field(expression, Field::Function)?
                } else {
                    expression
                };
                crate::model::dotted_name(source, target)
            })
            .collect(),
        skips,
        body: body_shape(ctx, function),
    }
}

/// Whether a call in the function's own body asks its callee to check something: a keyword
/// argument named like an assertion helper (`check_response_status=[400]`, `verify=True`)
/// whose value is not `False` or `None`. Names starting with `expect` are left out: they are
/// usually data (Nova's `expected_attrs=[...]` says which fields to load), not a check.
fn delegates_check(ctx: &FunctionContext, function: &crate::unit::Function) -> bool {
    let source = ctx.source();
    function
        .nodes(Kind::KeywordArgument)
        .iter()
        .any(|argument| {
            let (Some(name), Some(value)) = (
                field(*argument, Field::Name),
                field(*argument, Field::Value),
            ) else {
                return false;
            };
            let in_call = argument
                .parent()
                .and_then(|list| list.parent())
                .is_some_and(|call| kind(call) == Kind::Call);
            in_call
                && !matches!(kind(value), Kind::False | Kind::None)
                && source.get(name.byte_range()).is_some_and(|name| {
                    !name.starts_with("expect") && ctx.settings.is_assertion_helper(name)
                })
        })
}

/// `super()` or `super(Class, self)`.
fn is_super_call(source: &str, node: tree_sitter::Node) -> bool {
    kind(node) == Kind::Call
        && field(node, Field::Function).is_some_and(|f| {
            kind(f) == Kind::Identifier && source.get(f.byte_range()) == Some("super")
        })
}

/// Whether a call hands the test case (`self`, or another of `names`) over as an argument.
fn passes_self(source: &str, call: tree_sitter::Node, names: &[&str]) -> bool {
    crate::model::call_arguments(call)
        .into_iter()
        .any(|argument| {
            let value = if kind(argument) == Kind::KeywordArgument {
                field(argument, Field::Value)
            } else {
                Some(argument)
            };
            value.is_some_and(|v| {
                kind(v) == Kind::Identifier
                    && source
                        .get(v.byte_range())
                        .is_some_and(|name| names.contains(&name))
            })
        })
}

/// Whether a decorator decides the test's outcome whatever its body does: an unconditional
/// skip (`@unittest.skip(..)`, `@pytest.mark.skip`, sympy's `@SKIP(..)`) or an expected failure
/// (`@pytest.mark.xfail`, `@unittest.expectedFailure`, sympy's `@XFAIL`), imported from anywhere.
fn is_skip_or_xfail_decorator(ctx: &FunctionContext, decorator: tree_sitter::Node) -> bool {
    let Some(expression) = decorator.named_child(0) else {
        return false;
    };
    let target = if kind(expression) == Kind::Call {
        field(expression, Field::Function)
    } else {
        Some(expression)
    };
    target.and_then(|t| ctx.resolve(t)).is_some_and(|path| {
        let last = path
            .rsplit('.')
            .next()
            .unwrap_or(&path)
            .to_ascii_lowercase();
        matches!(last.as_str(), "skip" | "xfail" | "expectedfailure")
    })
}

/// Whether a function skips the test in its own body (not counting nested functions), or is
/// decorated to be skipped or to fail.
fn skips_directly(ctx: &FunctionContext, function: &crate::unit::Function) -> bool {
    if function
        .decorators
        .iter()
        .any(|d| is_skip_or_xfail_decorator(ctx, *d))
    {
        return true;
    }
    let source = ctx.source();
    let calls_skip = function.nodes(Kind::Call).iter().any(|call| {
        let Some(callee) = field(*call, Field::Function) else {
            return false;
        };
        if kind(callee) == Kind::Attribute
            && field(callee, Field::Object).is_some_and(|o| is_self(source, o))
            && field(callee, Field::Attribute).and_then(|a| source.get(a.byte_range()))
                == Some("skipTest")
        {
            return true;
        }
        // `pytest.skip(..)`, `pytest.xfail(..)`, `pytest.importorskip(..)`, and the same
        // helpers of other frameworks (`sympy.testing.pytest.skip`).
        ctx.callee(*call).is_some_and(|path| {
            path.contains('.')
                && matches!(
                    path.rsplit('.').next(),
                    Some("skip" | "xfail" | "importorskip")
                )
        })
    });
    calls_skip
        || function.nodes(Kind::RaiseStatement).iter().any(|raise| {
            raise.named_child(0).is_some_and(|e| {
                let raised = if kind(e) == Kind::Call {
                    field(e, Field::Function)
                } else {
                    Some(e)
                };
                raised
                    .and_then(|r| source.get(r.byte_range()))
                    .is_some_and(|t| t.ends_with("SkipTest") || t.ends_with("skipException"))
            })
        })
}

/// What a function's own body amounts to.
pub fn body_shape(ctx: &FunctionContext, function: &crate::unit::Function) -> BodyShape {
    let source = ctx.source();
    let mut shape = BodyShape::Empty;
    let statements = function.body_statements();
    if statements.is_empty() {
        // No body at all (a broken definition while typing): nothing to say about it.
        return BodyShape::Statements;
    }
    for statement in statements {
        match kind(statement) {
            Kind::PassStatement => {}
            Kind::ExpressionStatement
                if statement.named_child_count() == 1
                    && statement.named_child(0).is_some_and(|e| {
                        matches!(
                            kind(e),
                            Kind::String | Kind::ConcatenatedString | Kind::Ellipsis
                        )
                    }) => {}
            Kind::RaiseStatement if shape == BodyShape::Empty => {
                let raised = statement.named_child(0).and_then(|e| {
                    if kind(e) == Kind::Call {
                        field(e, Field::Function)
                    } else {
                        Some(e)
                    }
                });
                if raised.and_then(|r| source.get(r.byte_range())) == Some("NotImplementedError") {
                    shape = BodyShape::NotImplemented;
                } else {
                    return BodyShape::Statements;
                }
            }
            _ => return BodyShape::Statements,
        }
    }
    shape
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
