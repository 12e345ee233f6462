use tree_sitter::Node;

use crate::assertions::{
    Assertion, Check, assertions, is_constant, is_pure_expression, literal_truth,
    normalized_text, unparenthesized,
};
use crate::diagnostic::Diagnostic;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::syntax::{Kind, kind, named_children};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::RedundantAssertion,
    code: "TQ504",
    name: "redundant-assertion",
    category: Category::Assertions,
    default_enabled: true,
    severity: Severity::Error,
    fix: None,
    summary: "an assertion that can never fail, or never pass",
    doc: r#"
### What it flags
An assertion whose outcome is fixed by its own text:

- a constant condition that is always true: `assert True`, `assert "text"`,
  `self.assertTrue(1)`, `self.assertFalse(None)`, and `assert (x == 1, "message")` — a
  parenthesised pair is a tuple, and a non-empty tuple is always true;
- a value compared with itself: `self.assertEqual(x, x)`, `self.assertIs(x, x)`,
  `assert x == x` (never fails), `self.assertNotEqual(x, x)`, `assert x is not x` (never passes);
- `None` checks on literals: `self.assertIsNone(None)`, `self.assertIsNotNone("a")` (never
  fail), `self.assertIsNone(3)`, `self.assertIsNotNone(None)` (never pass).

In tests, fixtures, `setUp` methods and helpers alike.

### Why it matters
An assertion that cannot fail protects nothing while looking like it does; it is usually a
slip — `assertEqual(expected, expected)` where `actual` was meant, or a message written inside
the parentheses of `assert (cond, "msg")`. One that cannot pass fails every run for a reason
that is not the behaviour under test.

### Example
```python
def test_flavor(self):
    expected = self._get_flavor()
    self.assertEqual(expected, expected)
    assert (server["status"] == "ACTIVE", "server did not boot")
```

### Use instead
```python
def test_flavor(self):
    expected = self._get_flavor()
    self.assertEqual(expected, server["flavor"])
    assert server["status"] == "ACTIVE", "server did not boot"
```

### Fix
None: the intended check is the author's to write.

### Known limits
A truth test of a constant that is always false (`assert False, "unreachable"`, `assert 0`,
`self.assertTrue(False)`, `self.assertFalse(True)`) is not flagged: it is how some tests mark
a line that must not run, a deliberate failure rather than a slip (`self.fail(..)` or
`pytest.fail(..)` says it more plainly).

Comparing a value with itself does exercise its `__eq__` (or `__lt__`...): tests of equality
itself are left alone, recognised by a name with a word such as `eq`, `equal`, `equality`,
`compare`, `cmp`, `hash`, `order`, `sort`, `reflexive` or `nan` (`assertNotEqual(nan, nan)`
is how NaN is tested). `assertIs(x, x)` cannot be overloaded and is flagged in any test.
`assert x != x` is never flagged: it is the NaN idiom. Only operands without calls (or with
calls of builtins that change nothing, such as `len`) are compared, since `f()` twice may
differ.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

/// Whether an assertion always holds or never does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    NeverFails,
    NeverPasses,
}

impl Outcome {
    fn phrase(self) -> &'static str {
        match self {
            Outcome::NeverFails => "can never fail",
            Outcome::NeverPasses => "can never pass",
        }
    }
}

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let source = ctx.source();
    let equality_test = std::iter::once(ctx.function)
        .chain(ctx.ancestors())
        .any(|f| is_about_equality(f.name));
    for assertion in assertions(source, ctx.function) {
        let node = assertion.node();
        let quoted = ctx.snippet(node, 70);
        let message = match &assertion {
            Assertion::Statement(statement) => {
                let condition = statement.condition;
                if literal_truth(source, condition) == Some(true) {
                    Some(constant_condition_message(ctx, &quoted, condition, statement.message))
                } else {
                    self_comparison(ctx, condition, equality_test).map(|(operand, outcome)| {
                        format!(
                            "`{quoted}` compares `{}` with itself: it {}",
                            ctx.snippet(operand, 40),
                            outcome.phrase()
                        )
                    })
                }
            }
            Assertion::Method(call) => {
                let first = call.operands.first().copied();
                match call.method.check {
                    Check::Truthy | Check::Falsy => {
                        let expected = call.method.check == Check::Truthy;
                        first.and_then(|operand| {
                            if literal_truth(source, operand) == Some(expected) {
                                Some(format!(
                                    "`{quoted}` can never fail: its argument is a constant"
                                ))
                            } else if expected {
                                self_comparison(ctx, operand, equality_test).map(
                                    |(value, outcome)| {
                                        format!(
                                            "`{quoted}` compares `{}` with itself: it {}",
                                            ctx.snippet(value, 40),
                                            outcome.phrase()
                                        )
                                    },
                                )
                            } else {
                                None
                            }
                        })
                    }
                    Check::IsNone | Check::IsNotNone => first.and_then(|operand| {
                        let is_none = match kind(unparenthesized(operand)) {
                            Kind::None => true,
                            _ if is_constant(source, operand)
                                || literal_truth(source, operand).is_some() =>
                            {
                                false
                            }
                            _ => return None,
                        };
                        let outcome = if is_none == (call.method.check == Check::IsNone) {
                            Outcome::NeverFails
                        } else {
                            Outcome::NeverPasses
                        };
                        Some(format!(
                            "`{quoted}` {}: its argument is the literal `{}`",
                            outcome.phrase(),
                            ctx.snippet(operand, 30)
                        ))
                    }),
                    check => {
                        let outcome = match check {
                            Check::Equal
                            | Check::Same
                            | Check::GreaterEqual
                            | Check::LessEqual
                            | Check::AlmostEqual
                            | Check::CountEqual
                            | Check::Subset => Outcome::NeverFails,
                            Check::NotEqual
                            | Check::NotSame
                            | Check::Greater
                            | Check::Less
                            | Check::NotAlmostEqual => Outcome::NeverPasses,
                            _ => continue,
                        };
                        let identity = matches!(check, Check::Same | Check::NotSame);
                        match call.operands.as_slice() {
                            [a, b] if same_value(ctx, *a, *b, identity || !equality_test) => {
                                Some(format!(
                                    "`{quoted}` compares `{}` with itself: it {}",
                                    ctx.snippet(*a, 40),
                                    outcome.phrase()
                                ))
                            }
                            _ => None,
                        }
                    }
                }
            }
        };
        if let Some(message) = message {
            out.push(Diagnostic::new(
                RuleId::RedundantAssertion,
                TextRange::of(node),
                message,
            ));
        }
    }
}

/// The message for `assert <always-true constant>`.
fn constant_condition_message(
    ctx: &FunctionContext,
    quoted: &str,
    condition: Node,
    message: Option<Node>,
) -> String {
    let condition = unparenthesized(condition);
    match kind(condition) {
        Kind::Tuple => {
            let elements: Vec<Node> = named_children(condition).collect();
            match (elements.as_slice(), message) {
                ([test, text], None) => format!(
                    "`{quoted}` can never fail: a non-empty tuple is always true (to attach a message, write `assert {}, {}`)",
                    ctx.snippet(*test, 40),
                    ctx.snippet(*text, 30)
                ),
                _ => format!("`{quoted}` can never fail: a non-empty tuple is always true"),
            }
        }
        Kind::String | Kind::ConcatenatedString => {
            format!("`{quoted}` can never fail: a non-empty string is always true")
        }
        _ => format!("`{quoted}` can never fail: its condition is a constant"),
    }
}

/// `a == a`-shaped comparisons: the operand and whether the comparison always or never holds.
/// `!=` is left out: `x != x` is how NaN is recognised.
fn self_comparison<'t>(
    ctx: &FunctionContext,
    expression: Node<'t>,
    equality_test: bool,
) -> Option<(Node<'t>, Outcome)> {
    let expression = unparenthesized(expression);
    if kind(expression) != Kind::ComparisonOperator {
        return None;
    }
    let operands: Vec<Node> = named_children(expression).collect();
    let mut cursor = expression.walk();
    let operators: Vec<&str> = expression
        .children(&mut cursor)
        .filter(|c| !c.is_named())
        .map(|c| c.kind())
        .collect();
    let ([a, b], [operator]) = (operands.as_slice(), operators.as_slice()) else {
        return None;
    };
    let (outcome, identity) = match *operator {
        "is" => (Outcome::NeverFails, true),
        "is not" => (Outcome::NeverPasses, true),
        "==" | ">=" | "<=" => (Outcome::NeverFails, false),
        "<" | ">" => (Outcome::NeverPasses, false),
        _ => return None,
    };
    same_value(ctx, *a, *b, identity || !equality_test).then_some((*a, outcome))
}

/// Whether two operands are the same side-effect-free expression. Unless `overloadable_ok`,
/// only constants count (a name compared with itself may be a test of its `__eq__`).
fn same_value(ctx: &FunctionContext, a: Node, b: Node, overloadable_ok: bool) -> bool {
    let source = ctx.source();
    if !is_pure_expression(source, a) || normalized_text(source, a) != normalized_text(source, b)
    {
        return false;
    }
    overloadable_ok || is_constant(source, a)
}

/// Whether a function's name says it tests equality or ordering itself.
fn is_about_equality(name: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "eq", "compar", "cmp", "hash", "order", "sort", "reflex", "nan", "ident", "same",
    ];
    const WORDS: &[&str] = &["ne", "lt", "le", "gt", "ge"];
    words(name).iter().any(|word| {
        PREFIXES.iter().any(|p| word.starts_with(p)) || WORDS.contains(&word.as_str())
    })
}

/// The lower-case words of a snake_case or camelCase name.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in name.split('_').filter(|p| !p.is_empty()) {
        let mut current = String::new();
        for c in part.chars() {
            if c.is_uppercase() && !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            current.extend(c.to_lowercase());
        }
        if !current.is_empty() {
            out.push(current);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_tests_are_recognised_by_name() {
        for yes in [
            "test_equality",
            "test_version_comparisons",
            "testEq",
            "test_hash_and_eq",
            "test_ne",
            "test_nan_handling",
        ] {
            assert!(is_about_equality(yes), "{yes}");
        }
        for no in ["test_request", "test_create_server", "test_sequence", "test_frequency"] {
            assert!(!is_about_equality(no), "{no}");
        }
    }
}
