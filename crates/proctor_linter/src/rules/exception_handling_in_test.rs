use tree_sitter::Node;

use crate::Applicability;
use crate::assertions::{is_failure_statement, statement_assertion};
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::fixes::delete_statement_lines;
use crate::model::{FunctionKind, TestStyle, statements};
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::summary::is_assertion_call;
use crate::syntax::{Field, Kind, field, kind, named_children};
use crate::text::{TextRange, line_ending, snippet};

pub const RULE: Rule = Rule {
    id: RuleId::ExceptionHandlingInTest,
    code: "TQ508",
    name: "exception-handling-in-test",
    category: Category::Assertions,
    default_enabled: true,
    severity: Severity::Warning,
    fix: Some(Applicability::Refactor),
    summary: "`try`/`except` in a test body that checks for an exception, or swallows one",
    doc: r#"
### What it flags
A `try` statement in a test's own body that does by hand what `assertRaises` /
`pytest.raises` do, or that hides an error:

- **checking for an exception by hand**: the `try` block ends with a failure (`self.fail(..)`,
  `pytest.fail(..)`, `assert False`, `raise AssertionError`), directly or at the end of a
  `with` block that closes it, or its `else:` block fails, or its `except` blocks all end with
  `return` and the statement after the `try` fails;
- **assertions only in the `except` block**: they run only if the exception is raised — when
  nothing is raised the test passes without checking anything;
- **swallowing**: an `except` block of only `pass`, `...` or `continue`;
- **turning an error into a failure**: an `except` block that only calls `self.fail(..)`.

`try`/`finally`, handlers that re-raise, skip or do other work, and `try` statements in
helpers or in functions nested in the test are not flagged.

### Why it matters
The hand-written shape is longer and weaker: it cannot say what was raised instead, it is easy
to get subtly wrong (forget the `self.fail` and the test passes when nothing is raised), and it
hides the test's intent in control flow. A swallowed exception lets the test pass whether the
code works or not. Converting an exception into `self.fail("...")` throws away the traceback
that would have shown where the code broke; an unexpected exception already fails the test.

### Example
```python
def test_delete_locked(self):
    try:
        self.api.delete_server(server["id"])
        self.fail("delete should have been refused")
    except exception.InstanceIsLocked:
        pass
```

### Use instead
```python
def test_delete_locked(self):
    with self.assertRaises(exception.InstanceIsLocked):
        self.api.delete_server(server["id"])
```
(`with pytest.raises(exception.InstanceIsLocked):` in a pytest test.)

### Fix
Refactor, for the `try: X; self.fail(..) except E: pass` shape (one `except` naming the
exception, no `else`/`finally`): the `try` becomes `with self.assertRaises(E):` (or
`with pytest.raises(E):` in a pytest test of a file that imports `pytest`) around `X`, and the
failure call and the `except` block go. testtools' `assertRaises` (used by OpenStack projects)
has no context-manager form: in a test class not known to derive from `unittest.TestCase`
directly, the refactor is offered only when `X` is a single call, as
`self.assertRaises(E, func, *args)`, which every framework accepts.

### Known limits
Only the statements directly in an `except` block are looked at. Whether a test class derives
from plain unittest is decided from its bases in this file.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let function = ctx.function;
    if !function.is_test() {
        return;
    }
    let pytest_style = function.kind == FunctionKind::Test(TestStyle::Pytest);
    for try_statement in function.nodes(Kind::TryStatement) {
        let Some(body) = field(*try_statement, Field::Body) else {
            continue;
        };
        let clauses: Vec<Node> = named_children(*try_statement)
            .filter(|c| {
                matches!(
                    kind(*c),
                    Kind::ExceptClause | Kind::ElseClause | Kind::FinallyClause
                )
            })
            .collect();
        let handlers: Vec<Node> = clauses
            .iter()
            .copied()
            .filter(|c| kind(*c) == Kind::ExceptClause)
            .collect();
        let Some(first_handler) = handlers.first().copied() else {
            continue;
        };
        let body_statements = statements(body);
        let fails_in_body = body_statements
            .last()
            .is_some_and(|s| is_failure_statement(ctx, *s));
        let else_block = clauses
            .iter()
            .find(|c| kind(**c) == Kind::ElseClause)
            .and_then(|c| field(*c, Field::Body));
        let fails_in_else = else_block
            .is_some_and(|b| statements(b).iter().any(|s| is_failure_statement(ctx, *s)));
        // The same check written around a `with` (`try: with patch(..): call(); self.fail(..)`),
        // or with handlers that return and a failure after the `try`.
        let fails_in_with = !fails_in_body
            && body_statements
                .last()
                .is_some_and(|s| fails_at_end_of_with(ctx, *s));
        let fails_after = !fails_in_body
            && handlers.iter().all(|h| handler_returns(*h))
            && try_statement
                .next_named_sibling()
                .is_some_and(|s| is_failure_statement(ctx, s));
        if fails_in_body || fails_in_else || fails_in_with || fails_after {
            let expected = exception_node(first_handler).map(|n| ctx.snippet(n, 40));
            let argument = expected.as_deref().unwrap_or("<the exception>");
            let tool = if pytest_style {
                format!("`pytest.raises({argument})`")
            } else {
                format!("`self.assertRaises({argument})`")
            };
            let expected = expected
                .map(|e| format!("`{e}`"))
                .unwrap_or_else(|| "an exception".to_string());
            let fix = if fails_in_body && handlers.len() == 1 && clauses.len() == handlers.len()
            {
                assert_raises_fix(ctx, *try_statement, &body_statements, first_handler)
            } else {
                None
            };
            out.push(
                Diagnostic::new(
                    RuleId::ExceptionHandlingInTest,
                    header_range(*try_statement),
                    format!(
                        "`{}` checks for {expected} by hand with `try`/`except` and a failure call: {tool} says it in one line, and reports what was raised instead",
                        function.name
                    ),
                )
                .with_optional_fix(fix),
            );
            continue;
        }
        for handler in handlers {
            if let Some(message) = handler_problem(ctx, handler) {
                out.push(Diagnostic::new(
                    RuleId::ExceptionHandlingInTest,
                    header_range(handler),
                    message,
                ));
            }
        }
    }
}

/// What is wrong with an `except` block of a test, if anything.
fn handler_problem(ctx: &FunctionContext, handler: Node) -> Option<String> {
    let block = named_children(handler).find(|c| kind(*c) == Kind::Block)?;
    let body = statements(block);
    let header_text = ctx
        .source()
        .get(header_range(handler).as_range())
        .unwrap_or("except:");
    let header = snippet(header_text.strip_suffix(':').unwrap_or(header_text), 50);
    let test = ctx.function.name;
    if body.is_empty() {
        return None;
    }
    if body.iter().all(|s| is_empty_statement(*s)) {
        return Some(format!(
            "`{header}:` in `{test}` swallows the exception: the test passes whether it is raised or not"
        ));
    }
    let has_raise = ctx
        .function
        .nodes(Kind::RaiseStatement)
        .iter()
        .any(|r| TextRange::of(block).contains_range(TextRange::of(*r)) && !is_failure_statement(ctx, *r));
    if has_raise {
        return None;
    }
    if let [only] = body.as_slice()
        && is_failure_statement(ctx, *only)
    {
        return Some(format!(
            "`{header}:` in `{test}` turns the exception into a test failure and drops its traceback: let it propagate, an unexpected exception already fails the test"
        ));
    }
    if body.iter().any(|s| is_assertion_statement(ctx, *s)) {
        let expected = exception_text(ctx, handler);
        return Some(format!(
            "the assertions under `{header}:` in `{test}` run only if {expected} is raised: when nothing is raised the test passes without checking; assert the exception with `assertRaises`/`pytest.raises` and check the exception it captured"
        ));
    }
    None
}

/// A `with` statement (nested ones too) whose block ends in a failure call.
fn fails_at_end_of_with(ctx: &FunctionContext, statement: Node) -> bool {
    let mut current = statement;
    // Nested `with` blocks, innermost last; bounded so no input can loop for long.
    for _ in 0..16 {
        if kind(current) != Kind::WithStatement {
            return false;
        }
        let Some(last) = field(current, Field::Body).and_then(|b| statements(b).last().copied())
        else {
            return false;
        };
        if is_failure_statement(ctx, last) {
            return true;
        }
        current = last;
    }
    false
}

/// Whether an `except` block ends with `return`.
fn handler_returns(handler: Node) -> bool {
    named_children(handler)
        .find(|c| kind(*c) == Kind::Block)
        .and_then(|b| statements(b).last().copied())
        .is_some_and(|s| kind(s) == Kind::ReturnStatement)
}

/// `pass`, `...`, `continue`, or a bare string.
fn is_empty_statement(statement: Node) -> bool {
    match kind(statement) {
        Kind::PassStatement | Kind::ContinueStatement => true,
        Kind::ExpressionStatement => statement.named_child(0).is_some_and(|e| {
            matches!(
                kind(e),
                Kind::Ellipsis | Kind::String | Kind::ConcatenatedString
            )
        }),
        _ => false,
    }
}

fn is_assertion_statement(ctx: &FunctionContext, statement: Node) -> bool {
    if statement_assertion(statement).is_some() {
        return true;
    }
    kind(statement) == Kind::ExpressionStatement
        && statement
            .named_child(0)
            .is_some_and(|c| kind(c) == Kind::Call && is_assertion_call(ctx, c))
}

/// The exception an `except` clause names (`` `ValueError` ``, `` `(A, B)` ``), or "an
/// exception".
fn exception_text(ctx: &FunctionContext, handler: Node) -> String {
    exception_node(handler)
        .map(|n| format!("`{}`", ctx.snippet(n, 40)))
        .unwrap_or_else(|| "an exception".to_string())
}

fn exception_node(handler: Node) -> Option<Node> {
    let value = field(handler, Field::Value)?;
    if kind(value) == Kind::AsPattern {
        named_children(value).next()
    } else {
        Some(value)
    }
}

/// From the start of a clause to the end of its header's `:`.
fn header_range(clause: Node) -> TextRange {
    let mut cursor = clause.walk();
    let colon = clause
        .children(&mut cursor)
        .find(|c| !c.is_named() && c.kind() == ":");
    TextRange::new(
        clause.start_byte(),
        colon.map_or(clause.end_byte(), |c| c.end_byte()),
    )
}

/// Where the test's class comes from, as far as this file shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Framework {
    /// Plain `unittest.TestCase` (or Django's, which derives from it): `assertRaises` is a
    /// context manager.
    Unittest,
    /// testtools and its descendants, or an unknown project base: callable form only.
    Other,
}

fn framework(ctx: &FunctionContext) -> Framework {
    let Some(start) = ctx.class() else {
        return Framework::Other;
    };
    let classes = &ctx.file.classes;
    let mut seen = vec![false; classes.len()];
    let mut queue = vec![start.id];
    let mut unittest = false;
    while let Some(id) = queue.pop() {
        let Some(class) = classes.get(id) else { continue };
        if std::mem::replace(&mut seen[id], true) {
            continue;
        }
        for base in &class.bases {
            if let Some(resolved) = &base.resolved {
                if resolved.starts_with("unittest.") || resolved.starts_with("django.test.") {
                    unittest = true;
                } else {
                    // testtools, oslotest, fixtures, or a project base defined elsewhere.
                    return Framework::Other;
                }
            } else if let Some(local) = classes.iter().find(|c| c.name == base.text) {
                queue.push(local.id);
            } else {
                return Framework::Other;
            }
        }
    }
    if unittest {
        Framework::Unittest
    } else {
        Framework::Other
    }
}

/// The refactor of `try: X; fail() except E: pass` into `assertRaises` / `pytest.raises`.
fn assert_raises_fix(
    ctx: &FunctionContext,
    try_statement: Node,
    body: &[Node],
    handler: Node,
) -> Option<Fix> {
    let (failure, actions) = body.split_last()?;
    let first_action = actions.first()?;
    let lines = &ctx.file.lines;
    if lines.line_of(first_action.start_byte()) == lines.line_of(try_statement.start_byte()) {
        return None;
    }
    // `except* E`, bare `except:`, or a handler that does something: not this shape.
    let mut cursor = handler.walk();
    if handler.children(&mut cursor).any(|c| c.kind() == "*") {
        return None;
    }
    let exception = exception_node(handler)?;
    let handler_block = named_children(handler).find(|c| kind(*c) == Kind::Block)?;
    if !statements(handler_block).iter().all(|s| {
        matches!(kind(*s), Kind::PassStatement)
            || (kind(*s) == Kind::ExpressionStatement
                && s.named_child(0).is_some_and(|e| kind(e) == Kind::Ellipsis))
    }) {
        return None;
    }
    let expected = ctx.text(exception);
    let manager = if ctx.function.kind == FunctionKind::Test(TestStyle::Pytest) {
        let pytest = ctx
            .file
            .imports
            .sorted()
            .into_iter()
            .find(|(_, path)| *path == "pytest")
            .map(|(name, _)| name.to_string())?;
        format!("{pytest}.raises({expected})")
    } else if framework(ctx) == Framework::Unittest {
        format!("self.assertRaises({expected})")
    } else {
        return callable_form(ctx, try_statement, actions, expected);
    };
    let header = header_range(try_statement);
    let handler_start = lines.line_start(lines.line_of(handler.start_byte()));
    let handler_end = lines.line_start(lines.line_of(try_statement.end_byte()) + 1);
    let edits = vec![
        Edit::replace(header, format!("with {manager}:")),
        delete_statement_lines(ctx.file, *failure)?,
        Edit::delete(TextRange::new(handler_start, handler_end)),
    ];
    Some(Fix::refactor(
        format!("Replace try/except with `with {manager}:`"),
        edits,
    ))
}

/// `self.assertRaises(E, func, args...)` for a `try` whose action is one call.
fn callable_form(
    ctx: &FunctionContext,
    try_statement: Node,
    actions: &[Node],
    expected: &str,
) -> Option<Fix> {
    let [action] = actions else { return None };
    if kind(*action) != Kind::ExpressionStatement {
        return None;
    }
    let call = action.named_child(0).filter(|c| kind(*c) == Kind::Call)?;
    let callee = field(call, Field::Function)?;
    let arguments = field(call, Field::Arguments).filter(|a| kind(*a) == Kind::ArgumentList)?;
    // A comment inside the arguments would swallow the closing parenthesis once joined.
    let mut cursor = arguments.walk();
    if arguments
        .children(&mut cursor)
        .any(|c| kind(c) == Kind::Comment)
    {
        return None;
    }
    let source = ctx.source();
    let inner = source
        .get(arguments.start_byte() + 1..arguments.end_byte().saturating_sub(1))?
        .trim();
    let inner = inner.strip_suffix(',').unwrap_or(inner).trim_end();
    let replacement = if inner.is_empty() {
        format!("self.assertRaises({expected}, {})", ctx.text(callee))
    } else {
        format!("self.assertRaises({expected}, {}, {inner})", ctx.text(callee))
    };
    let lines = &ctx.file.lines;
    let end = lines.line_start(lines.line_of(try_statement.end_byte()) + 1);
    let eol = line_ending(source);
    Some(Fix::refactor(
        format!("Replace try/except with `self.assertRaises({expected}, ...)`"),
        vec![Edit::replace(
            TextRange::new(try_statement.start_byte(), end),
            format!("{replacement}{eol}"),
        )],
    ))
}
