use tree_sitter::Node;

use crate::Applicability;
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::model::{call_arguments, positional_arguments};
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::summary::is_self;
use crate::syntax::{Field, Kind, field, kind, named_children};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::SuboptimalAssert,
    code: "TQ503",
    name: "suboptimal-assert",
    category: Category::Assertions,
    default_enabled: true,
    severity: Severity::Warning,
    fix: Some(Applicability::Safe),
    summary: "`assertTrue(a == b)` and friends where a specific assertion (`assertEqual`…) says more when it fails",
    doc: r#"
### What it flags
A unittest assertion on `self` that a more specific assertion method expresses better:

| written | use |
|---|---|
| `assertTrue(a == b)`, `assertFalse(a != b)` | `assertEqual(a, b)` |
| `assertTrue(a != b)`, `assertFalse(a == b)` | `assertNotEqual(a, b)` |
| `assertTrue(a in b)`, `assertFalse(a not in b)` | `assertIn(a, b)` |
| `assertTrue(a not in b)`, `assertFalse(a in b)` | `assertNotIn(a, b)` |
| `assertTrue(a is b)`, `assertFalse(a is not b)` | `assertIs(a, b)` |
| `assertTrue(a is not b)`, `assertFalse(a is b)` | `assertIsNot(a, b)` |
| `assertTrue(a is None)`, `assertTrue(a == None)`, `assertEqual(a, None)` | `assertIsNone(a)` |
| `assertTrue(a is not None)`, `assertFalse(a is None)`, `assertNotEqual(a, None)` | `assertIsNotNone(a)` |
| `assertTrue(isinstance(a, B))` | `assertIsInstance(a, B)` |
| `assertFalse(isinstance(a, B))` | `assertNotIsInstance(a, B)` |
| `assertTrue(a > b)`, `>=`, `<`, `<=` | `assertGreater(a, b)`, `assertGreaterEqual`, `assertLess`, `assertLessEqual` |

`assertTrue(not x)` counts as `assertFalse(x)` and the other way round.

### Why it matters
When `self.assertTrue(a == b)` fails, it says `False is not true`: the values that differed are
lost, and the reader has to rerun the test under a debugger. `self.assertEqual(a, b)` prints
both values (and a diff for strings, lists and dicts); `assertIn` prints the container,
`assertIsInstance` the object and its type, `assertIsNone` the value that was not `None`.

### Example
```python
self.assertTrue(server["status"] == "ACTIVE")
self.assertTrue("tags" in server, "no tags")
self.assertEqual(migration, None)
```

### Use instead
```python
self.assertEqual(server["status"], "ACTIVE")
self.assertIn("tags", server, "no tags")
self.assertIsNone(migration)
```

### Fix
Safe: rewrites the call to the specific assertion with the same operands, keeping the `msg`
argument as it was.

### Known limits
- Only `self.assert*` calls of unittest-style tests are checked; calls that pass `*args` or
  `**kwargs`, or arguments by keyword other than `msg`, are left alone.
- Chained comparisons (`a < b < c`) are left alone, and so is `assertFalse(a > b)`: `not a > b`
  is not `a <= b` for sets or NaN, so there is no exactly equivalent assertion.
- `assertEqual(a, None)` compares with `==` and `assertIsNone(a)` with `is`; they differ only
  for objects whose `__eq__` claims to equal `None` (such as `mock.ANY`).
- The fix keeps the argument's line breaks and comments; it is not offered when a comment would
  be deleted (inside `not (...)`, or next to the `None` that `a is None` drops).
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

/// The rewrite of one assertion.
struct Rewrite<'t> {
    /// The method to call instead.
    method: &'static str,
    /// The operands of the new call, in order.
    operands: Vec<Node<'t>>,
    /// The argument of the old call that the operands replace (with a comparison or
    /// `isinstance` call inside), or `None` for `assertEqual(a, None)`, which drops an argument.
    replaces: Option<Node<'t>>,
    /// For `assertEqual(a, None)`: the `None` argument to drop.
    drops: Option<Node<'t>>,
    /// When the argument is the comparison or `isinstance` call itself (not wrapped in
    /// parentheses or `not`): edits that turn it into the operands in place, keeping its line
    /// breaks and comments.
    in_place: Option<Vec<Edit>>,
}

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let source = ctx.source();
    for call in ctx.function.nodes(Kind::Call) {
        let Some(callee) = field(*call, Field::Function) else {
            continue;
        };
        if kind(callee) != Kind::Attribute
            || !field(callee, Field::Object).is_some_and(|o| is_self(source, o))
        {
            continue;
        }
        let Some(method_node) = field(callee, Field::Attribute) else {
            continue;
        };
        let method = ctx.text(method_node);
        let Some(rewrite) = rewrite(ctx, *call, method) else {
            continue;
        };
        let benefit = if rewrite.drops.is_some() {
            "which says what it checks".to_string()
        } else {
            format!("which {} when it fails", what_it_reports(rewrite.method))
        };
        let message = format!(
            "`{}` can be `{}`, {benefit}",
            written(ctx, *call, method),
            suggested(ctx, &rewrite),
        );
        let fix = fix(ctx, method_node, &rewrite);
        out.push(
            Diagnostic::new(RuleId::SuboptimalAssert, TextRange::of(*call), message)
                .with_optional_fix(fix),
        );
    }
}

/// What goes between the operands of `left <operator> right` once they become two arguments:
/// a comma, keeping a line break that stood after (or else before) the operator.
fn separator(source: &str, left: Node, operator: Node, right: Node) -> String {
    let before = source
        .get(left.end_byte()..operator.start_byte())
        .unwrap_or("");
    let after = source
        .get(operator.end_byte()..right.start_byte())
        .unwrap_or("");
    if after.contains(['\n', '\r']) {
        format!(",{after}")
    } else if before.contains(['\n', '\r']) {
        format!(",{before}")
    } else {
        ", ".to_string()
    }
}

/// What the specific assertion adds to its failure message.
fn what_it_reports(method: &str) -> &'static str {
    match method {
        "assertIsNone" | "assertIsNotNone" => "shows the value",
        "assertIsInstance" | "assertNotIsInstance" => "shows the object and its type",
        "assertIn" | "assertNotIn" => "shows the member and the container",
        _ => "shows both values",
    }
}

/// The assertion as written, on one line, without its message: `self.assertTrue(a == b)`.
fn written(ctx: &FunctionContext, call: Node, method: &str) -> String {
    let arguments: Vec<String> = positional_arguments(call)
        .into_iter()
        .take(if method.starts_with("assertEqual") || method.starts_with("assertNotEqual") {
            2
        } else {
            1
        })
        .map(|a| ctx.snippet(a, 50))
        .collect();
    format!("self.{method}({})", arguments.join(", "))
}

/// The specific assertion, without the message: `self.assertEqual(a, b)`.
fn suggested(ctx: &FunctionContext, rewrite: &Rewrite) -> String {
    let operands: Vec<String> = rewrite
        .operands
        .iter()
        .map(|o| ctx.snippet(*o, 40))
        .collect();
    format!("self.{}({})", rewrite.method, operands.join(", "))
}

fn rewrite<'t>(ctx: &FunctionContext<'_, 't>, call: Node<'t>, method: &str) -> Option<Rewrite<'t>> {
    let arguments = call_arguments(call);
    let positional = positional_arguments(call);
    // Everything but positional arguments and `msg=` is left alone.
    let only_msg_keyword = arguments.iter().all(|a| match kind(*a) {
        Kind::KeywordArgument => field(*a, Field::Name).is_some_and(|n| ctx.text(n) == "msg"),
        Kind::ListSplat | Kind::DictionarySplat => false,
        _ => true,
    });
    if !only_msg_keyword || positional.len() != arguments.iter().filter(|a| kind(**a) != Kind::KeywordArgument).count() {
        return None;
    }
    let has_msg_keyword = arguments.len() > positional.len();
    match method {
        "assertTrue" | "assertFalse" => {
            // `expr[, msg]`.
            let max = if has_msg_keyword { 1 } else { 2 };
            if positional.is_empty() || positional.len() > max {
                return None;
            }
            let argument = *positional.first()?;
            truth_rewrite(ctx, argument, method == "assertTrue")
        }
        "assertEqual" | "assertNotEqual" => {
            // `first, second[, msg]`, one of them `None`.
            let max = if has_msg_keyword { 2 } else { 3 };
            if positional.len() < 2 || positional.len() > max {
                return None;
            }
            let (first, second) = (positional[0], positional[1]);
            let (kept, dropped) = match (kind(first) == Kind::None, kind(second) == Kind::None) {
                (false, true) => (first, second),
                (true, false) => (second, first),
                _ => return None,
            };
            Some(Rewrite {
                method: if method == "assertEqual" {
                    "assertIsNone"
                } else {
                    "assertIsNotNone"
                },
                operands: vec![kept],
                replaces: None,
                drops: Some(dropped),
                in_place: None,
            })
        }
        _ => None,
    }
}

/// `assertTrue(<argument>)` (or `assertFalse` when `expected` is false).
fn truth_rewrite<'t>(
    ctx: &FunctionContext<'_, 't>,
    argument: Node<'t>,
    mut expected: bool,
) -> Option<Rewrite<'t>> {
    // Look through parentheses and `not`, a few levels deep.
    let mut expression = argument;
    for _ in 0..8 {
        match kind(expression) {
            Kind::ParenthesizedExpression => {
                let inner: Vec<Node> = named_children(expression).collect();
                let [only] = inner.as_slice() else {
                    return None;
                };
                expression = *only;
            }
            Kind::NotOperator => {
                expression = field(expression, Field::Argument)?;
                expected = !expected;
            }
            _ => break,
        }
    }
    match kind(expression) {
        Kind::ComparisonOperator => {
            let operands: Vec<Node> = named_children(expression).collect();
            let operators: Vec<Node> = {
                let mut cursor = expression.walk();
                expression
                    .children(&mut cursor)
                    .filter(|c| !c.is_named())
                    .collect()
            };
            let ([left, right], [operator]) = (operands.as_slice(), operators.as_slice()) else {
                return None;
            };
            let (left, right) = (*left, *right);
            let is_none = |n: Node| kind(n) == Kind::None;
            let other_than_none = match (is_none(left), is_none(right)) {
                (false, true) => Some(left),
                (true, false) => Some(right),
                (true, true) => return None,
                (false, false) => None,
            };
            let method = match (operator.kind(), expected) {
                ("==", true) | ("!=", false) => match other_than_none {
                    Some(_) => "assertIsNone",
                    None => "assertEqual",
                },
                ("!=", true) | ("==", false) => match other_than_none {
                    Some(_) => "assertIsNotNone",
                    None => "assertNotEqual",
                },
                ("is", true) | ("is not", false) => match other_than_none {
                    Some(_) => "assertIsNone",
                    None => "assertIs",
                },
                ("is not", true) | ("is", false) => match other_than_none {
                    Some(_) => "assertIsNotNone",
                    None => "assertIsNot",
                },
                ("in", true) | ("not in", false) => "assertIn",
                ("not in", true) | ("in", false) => "assertNotIn",
                (">", true) => "assertGreater",
                (">=", true) => "assertGreaterEqual",
                ("<", true) => "assertLess",
                ("<=", true) => "assertLessEqual",
                _ => return None,
            };
            let operands = match (method, other_than_none) {
                ("assertIsNone" | "assertIsNotNone", Some(value)) => vec![value],
                _ => vec![left, right],
            };
            let in_place = (expression == argument).then(|| match operands.as_slice() {
                // `a is None` → `a`, `None is a` → `a`.
                [value] if *value == left => {
                    vec![Edit::delete(TextRange::new(left.end_byte(), right.end_byte()))]
                }
                [_] => vec![Edit::delete(TextRange::new(
                    left.start_byte(),
                    right.start_byte(),
                ))],
                // `a == b` → `a, b`.
                _ => vec![Edit::replace(
                    TextRange::new(left.end_byte(), right.start_byte()),
                    separator(ctx.source(), left, *operator, right),
                )],
            });
            Some(Rewrite {
                method,
                operands,
                replaces: Some(argument),
                drops: None,
                in_place,
            })
        }
        Kind::Call => {
            let function = field(expression, Field::Function)?;
            if kind(function) != Kind::Identifier
                || ctx.text(function) != "isinstance"
                || ctx.resolve(function).is_some()
            {
                return None;
            }
            let arguments = call_arguments(expression);
            let [object, class] = arguments.as_slice() else {
                return None;
            };
            if matches!(
                kind(*object),
                Kind::KeywordArgument | Kind::ListSplat | Kind::DictionarySplat
            ) || matches!(
                kind(*class),
                Kind::KeywordArgument | Kind::ListSplat | Kind::DictionarySplat
            ) {
                return None;
            }
            Some(Rewrite {
                method: if expected {
                    "assertIsInstance"
                } else {
                    "assertNotIsInstance"
                },
                operands: vec![*object, *class],
                replaces: Some(argument),
                drops: None,
                // `isinstance(a, B)` → `a, B`.
                in_place: (expression == argument)
                    .then(|| field(expression, Field::Arguments))
                    .flatten()
                    .map(|list| {
                        vec![
                            Edit::delete(TextRange::new(
                                expression.start_byte(),
                                list.start_byte() + 1,
                            )),
                            Edit::delete(TextRange::new(
                                list.end_byte().saturating_sub(1),
                                expression.end_byte(),
                            )),
                        ]
                    }),
            })
        }
        _ => None,
    }
}

fn fix(ctx: &FunctionContext, method_node: Node, rewrite: &Rewrite) -> Option<Fix> {
    let mut edits = vec![Edit::replace(TextRange::of(method_node), rewrite.method)];
    let comment_in = |range: TextRange| {
        ctx.function
            .nodes(Kind::Comment)
            .iter()
            .any(|c| range.contains_range(TextRange::of(*c)))
    };
    if let Some(in_place) = &rewrite.in_place {
        // Only deleted text can lose a comment.
        if in_place
            .iter()
            .any(|e| e.content.is_empty() && comment_in(e.range))
        {
            return None;
        }
        edits.extend(in_place.iter().cloned());
    } else if let Some(replaced) = rewrite.replaces {
        // Comments inside the old argument would be lost.
        let range = TextRange::of(replaced);
        if ctx
            .function
            .nodes(Kind::Comment)
            .iter()
            .any(|c| range.contains_range(TextRange::of(*c)))
        {
            return None;
        }
        let operands: Vec<&str> = rewrite.operands.iter().map(|o| ctx.text(*o)).collect();
        edits.push(Edit::replace(range, operands.join(", ")));
    }
    if let (Some(dropped), Some(kept)) = (rewrite.drops, rewrite.operands.first()) {
        // `assertEqual(a, None)`: drop `, None`; `assertEqual(None, a)`: drop `None, `.
        let range = if dropped.start_byte() > kept.start_byte() {
            TextRange::new(kept.end_byte(), dropped.end_byte())
        } else {
            TextRange::new(dropped.start_byte(), kept.start_byte())
        };
        if ctx
            .function
            .nodes(Kind::Comment)
            .iter()
            .any(|c| range.contains_range(TextRange::of(*c)))
        {
            return None;
        }
        edits.push(Edit::delete(range));
    }
    Some(Fix::safe(format!("Use `{}`", rewrite.method), edits))
}
