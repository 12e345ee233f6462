use tree_sitter::Node;

use crate::Applicability;
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::model::call_arguments;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::summary::is_self;
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::MockAssertionMisuse,
    code: "TQ403",
    name: "mock-assertion-misuse",
    category: Category::Mocking,
    default_enabled: true,
    severity: Severity::Error,
    fix: Some(Applicability::Safe),
    summary: "a mock assertion that cannot fail or is never made: `assert m.called_once_with(..)`, a bare `m.called_with(..)`, an uncalled `m.assert_called_once_with`, a misspelled `assert_*` method",
    doc: r#"
### What it flags
A mock assertion that cannot fail, or is never made:

- `assert m.called_once_with(..)` and `self.assertTrue(m.called_with(..))`: `called_once_with`
  is not a mock method, so the mock makes up a child mock on the spot and returns it — always
  truthy;
- a bare `m.called_once_with(..)` statement: the same made-up call, asserting nothing;
- an uncalled `m.assert_called_once_with` (no parentheses): the method is looked up, never run;
- a misspelled assertion method, within two edits of a real one (`m.assert_caled_once_with(..)`,
  `m.assret_called_with(..)`): depending on the Python version and the mock's spec it raises
  `AttributeError` or passes silently.

### Why it matters
These lines look like checks and read like checks, so a reviewer trusts them — but they pass
whatever the code does. The test stays green when the behaviour it was written to protect
breaks.

### Example
```python
assert mock_save.called_once_with(instance)
self.assertTrue(mock_get.called_with(ctxt, uuid))
mock_delete.assert_called_once
mock_notify.assert_caled_once_with(ctxt, 'create.end')
```

### Use instead
```python
mock_save.assert_called_once_with(instance)
mock_get.assert_called_with(ctxt, uuid)
mock_delete.assert_called_once()
mock_notify.assert_called_once_with(ctxt, 'create.end')
```

### Fix
Safe where the intended call is unambiguous: rewrites to the real assertion method
(`assert m.called_once_with(x)` → `m.assert_called_once_with(x)`), adds the parentheses to an
uncalled assertion that takes no arguments (`assert_called_once`, `assert_not_called`…), and
corrects a misspelling that is closest to exactly one real method. No fix when an `assert` or
`assertTrue` carries a message, when an uncalled assertion needs arguments, or when a
misspelling is as close to two methods.

### Known limits
The receiver is not known to be a mock; the names are specific enough that this rarely
matters. Calls on `self` and names the file defines itself are never treated as misspellings.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

/// The assertion methods of `unittest.mock` (and `AsyncMock`).
const ASSERTIONS: &[&str] = &[
    "assert_called",
    "assert_called_once",
    "assert_called_with",
    "assert_called_once_with",
    "assert_any_call",
    "assert_has_calls",
    "assert_not_called",
    "assert_awaited",
    "assert_awaited_once",
    "assert_awaited_with",
    "assert_awaited_once_with",
    "assert_any_await",
    "assert_has_awaits",
    "assert_not_awaited",
];

/// Assertion methods that take no arguments: adding `()` is the whole fix.
const NO_ARGUMENT_ASSERTIONS: &[&str] = &[
    "assert_called",
    "assert_called_once",
    "assert_not_called",
    "assert_awaited",
    "assert_awaited_once",
    "assert_not_awaited",
];

/// The real assertion a name without the `assert_` prefix stands for. `called` itself is a
/// real attribute (a bool), so it is not among them.
fn assertion_for(name: &str) -> Option<&'static str> {
    if name == "called" {
        return None;
    }
    ASSERTIONS
        .iter()
        .copied()
        .find(|a| a.strip_prefix("assert_") == Some(name))
}

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let function = ctx.function;
    for statement in function.nodes(Kind::AssertStatement) {
        check_assert_statement(ctx, *statement, out);
    }
    for statement in function.nodes(Kind::ExpressionStatement) {
        check_expression_statement(ctx, *statement, out);
    }
    for call in function.nodes(Kind::Call) {
        check_assert_true(ctx, *call, out);
        check_misspelling(ctx, *call, out);
    }
}

/// A made-up assertion: `<receiver>.called_once_with(...)` (called or not).
struct MadeUp<'t> {
    receiver: Node<'t>,
    name: &'t str,
    /// The argument list when called.
    arguments: Option<Node<'t>>,
    assertion: &'static str,
}

fn made_up<'t>(ctx: &FunctionContext<'_, 't>, expression: Node<'t>) -> Option<MadeUp<'t>> {
    let (attribute, arguments) = match kind(expression) {
        Kind::Call => (
            field(expression, Field::Function)?,
            field(expression, Field::Arguments),
        ),
        Kind::Attribute => (expression, None),
        _ => return None,
    };
    if kind(attribute) != Kind::Attribute {
        return None;
    }
    let receiver = field(attribute, Field::Object)?;
    let name = ctx.text(field(attribute, Field::Attribute)?);
    let assertion = assertion_for(name)?;
    if is_self(ctx.source(), receiver) {
        return None;
    }
    Some(MadeUp {
        receiver,
        name,
        arguments: arguments.filter(|a| kind(*a) == Kind::ArgumentList),
        assertion,
    })
}

/// The real assertion call that `made_up` meant, when it is unambiguous.
fn rewritten(ctx: &FunctionContext, made_up: &MadeUp) -> Option<String> {
    let receiver = ctx.text(made_up.receiver);
    match made_up.arguments {
        Some(arguments) => Some(format!(
            "{receiver}.{}{}",
            made_up.assertion,
            ctx.text(arguments)
        )),
        None => NO_ARGUMENT_ASSERTIONS
            .contains(&made_up.assertion)
            .then(|| format!("{receiver}.{}()", made_up.assertion)),
    }
}

fn shown(ctx: &FunctionContext, made_up: &MadeUp) -> String {
    let receiver = ctx.text(made_up.receiver);
    match made_up.arguments {
        Some(_) => format!("{receiver}.{}(..)", made_up.name),
        None => format!("{receiver}.{}", made_up.name),
    }
}

/// `assert m.called_once_with(..)`.
fn check_assert_statement(ctx: &FunctionContext, statement: Node, out: &mut Vec<Diagnostic>) {
    let mut cursor = statement.walk();
    let parts: Vec<Node> = statement
        .named_children(&mut cursor)
        .filter(|n| kind(*n) != Kind::Comment)
        .collect();
    let Some(made_up) = parts.first().and_then(|e| made_up(ctx, *e)) else {
        return;
    };
    let message = format!(
        "`assert {}` always passes: `{}` is not a mock method, so the mock returns a new (truthy) mock; use `{}`",
        shown(ctx, &made_up),
        made_up.name,
        made_up.assertion
    );
    let fix = (parts.len() == 1)
        .then(|| rewritten(ctx, &made_up))
        .flatten()
        .map(|text| {
            Fix::safe(
                format!("Use `{}`", made_up.assertion),
                vec![Edit::replace(TextRange::of(statement), text)],
            )
        });
    out.push(
        Diagnostic::new(
            RuleId::MockAssertionMisuse,
            TextRange::of(statement),
            message,
        )
        .with_optional_fix(fix),
    );
}

/// A bare `m.called_once_with(..)` statement, or an uncalled `m.assert_called_once_with`.
fn check_expression_statement(ctx: &FunctionContext, statement: Node, out: &mut Vec<Diagnostic>) {
    let Some(expression) = statement.named_child(0) else {
        return;
    };
    if statement.named_child_count() != 1 {
        return;
    }
    if kind(expression) == Kind::Call
        && let Some(made_up) = made_up(ctx, expression)
    {
        let message = format!(
            "`{}` asserts nothing: `{}` is not a mock method, so the mock just records another call; use `{}`",
            shown(ctx, &made_up),
            made_up.name,
            made_up.assertion
        );
        let fix = field(expression, Field::Function)
            .and_then(|f| field(f, Field::Attribute))
            .map(|name| {
                Fix::safe(
                    format!("Use `{}`", made_up.assertion),
                    vec![Edit::insert(name.start_byte(), "assert_")],
                )
            });
        out.push(
            Diagnostic::new(
                RuleId::MockAssertionMisuse,
                TextRange::of(expression),
                message,
            )
            .with_optional_fix(fix),
        );
        return;
    }
    if kind(expression) != Kind::Attribute {
        return;
    }
    let Some(name) = field(expression, Field::Attribute).map(|n| ctx.text(n)) else {
        return;
    };
    let Some(assertion) = ASSERTIONS.iter().copied().find(|a| *a == name) else {
        return;
    };
    let message = format!(
        "`{}` is never called, so it asserts nothing",
        ctx.text(expression)
    );
    let fix = NO_ARGUMENT_ASSERTIONS.contains(&assertion).then(|| {
        Fix::safe(
            format!("Call `{assertion}()`"),
            vec![Edit::insert(expression.end_byte(), "()")],
        )
    });
    out.push(
        Diagnostic::new(
            RuleId::MockAssertionMisuse,
            TextRange::of(expression),
            message,
        )
        .with_optional_fix(fix),
    );
}

/// `self.assertTrue(m.called_with(..))`.
fn check_assert_true(ctx: &FunctionContext, call: Node, out: &mut Vec<Diagnostic>) {
    let Some(function) = field(call, Field::Function) else {
        return;
    };
    if kind(function) != Kind::Attribute
        || !field(function, Field::Object).is_some_and(|o| is_self(ctx.source(), o))
    {
        return;
    }
    let method = field(function, Field::Attribute).map_or("", |a| ctx.text(a));
    if !matches!(method, "assertTrue" | "assert_" | "failUnless") {
        return;
    }
    let arguments = call_arguments(call);
    let Some(made_up) = arguments.first().and_then(|a| made_up(ctx, *a)) else {
        return;
    };
    let message = format!(
        "`self.{method}({})` always passes: `{}` is not a mock method, so the mock returns a new (truthy) mock; use `{}`",
        shown(ctx, &made_up),
        made_up.name,
        made_up.assertion
    );
    let whole_statement = call
        .parent()
        .is_some_and(|p| kind(p) == Kind::ExpressionStatement);
    let fix = (arguments.len() == 1 && whole_statement)
        .then(|| rewritten(ctx, &made_up))
        .flatten()
        .map(|text| {
            Fix::safe(
                format!("Use `{}`", made_up.assertion),
                vec![Edit::replace(TextRange::of(call), text)],
            )
        });
    out.push(
        Diagnostic::new(RuleId::MockAssertionMisuse, TextRange::of(call), message)
            .with_optional_fix(fix),
    );
}

/// `m.assert_caled_once_with(..)`.
fn check_misspelling(ctx: &FunctionContext, call: Node, out: &mut Vec<Diagnostic>) {
    let Some(function) = field(call, Field::Function) else {
        return;
    };
    if kind(function) != Kind::Attribute {
        return;
    }
    let (Some(receiver), Some(name_node)) = (
        field(function, Field::Object),
        field(function, Field::Attribute),
    ) else {
        return;
    };
    let name = ctx.text(name_node);
    if ASSERTIONS.contains(&name) || is_self(ctx.source(), receiver) {
        return;
    }
    // The distance first: it rejects almost every call, and cheaply.
    let Some(closest) = closest_assertions(name) else {
        return;
    };
    if defined_here(ctx, name) {
        return;
    }
    let called = format!("{}.{name}(..)", ctx.text(receiver));
    let message = match closest.as_slice() {
        [only] => format!("`{called}` is not a mock assertion; did you mean `{only}`?"),
        several => format!(
            "`{called}` is not a mock assertion; did you mean one of {}?",
            several
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let fix = match closest.as_slice() {
        [only] => Some(Fix::safe(
            format!("Use `{only}`"),
            vec![Edit::replace(TextRange::of(name_node), *only)],
        )),
        _ => None,
    };
    out.push(
        Diagnostic::new(RuleId::MockAssertionMisuse, TextRange::of(call), message)
            .with_optional_fix(fix),
    );
}

/// Whether the file defines `name` itself (a helper method or function of that name).
fn defined_here(ctx: &FunctionContext, name: &str) -> bool {
    ctx.file.module_names.contains(name)
        || ctx
            .file
            .classes
            .iter()
            .any(|c| c.method_names.iter().any(|m| m == name))
}

/// The real assertions at the smallest edit distance (at most 2) from `name`.
fn closest_assertions(name: &str) -> Option<Vec<&'static str>> {
    let mut best: Option<(usize, Vec<&'static str>)> = None;
    for assertion in ASSERTIONS {
        let Some(distance) = edit_distance(name, assertion, 2) else {
            continue;
        };
        match &mut best {
            Some((d, names)) if *d == distance => names.push(assertion),
            Some((d, _)) if *d < distance => {}
            _ => best = Some((distance, vec![assertion])),
        }
    }
    best.map(|(_, names)| names)
}

/// The optimal-string-alignment distance (insertions, deletions, substitutions and adjacent
/// transpositions) between `a` and `b`, or `None` when it exceeds `limit`.
fn edit_distance(a: &str, b: &str, limit: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let width = b.len() + 1;
    let mut rows = vec![vec![0usize; width]; a.len() + 1];
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows[i][0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = value;
        }
    }
    let distance = rows[a.len()][b.len()];
    (distance <= limit).then_some(distance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("assert_caled_once_with", "assert_called_once_with", 2), Some(1));
        assert_eq!(edit_distance("assret_called_with", "assert_called_with", 2), Some(1));
        assert_eq!(edit_distance("assert_called_once_wiht", "assert_called_once_with", 2), Some(1));
        assert_eq!(edit_distance("assert_called", "assert_called_with", 2), None);
        assert_eq!(edit_distance("abc", "abc", 2), Some(0));
    }

    #[test]
    fn closest() {
        assert_eq!(
            closest_assertions("assert_caled_once_with"),
            Some(vec!["assert_called_once_with"])
        );
        assert_eq!(closest_assertions("assert_equal"), None);
        assert_eq!(closest_assertions("assertCalledWith"), None);
    }

    #[test]
    fn made_up_names() {
        assert_eq!(assertion_for("called_once_with"), Some("assert_called_once_with"));
        assert_eq!(assertion_for("called"), None);
        assert_eq!(assertion_for("call_count"), None);
    }
}
