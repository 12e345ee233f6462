use tree_sitter::Node;

use crate::assertions::{Assertion, Check, assertions, number_value, unparenthesized};
use crate::diagnostic::Diagnostic;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::syntax::{Field, Kind, field, kind, named_children};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::MagicNumberAssertion,
    code: "TQ507",
    name: "magic-number-assertion",
    category: Category::Assertions,
    default_enabled: false,
    severity: Severity::Info,
    fix: None,
    summary: "a number other than 0, 1 or -1 compared in an assertion",
    doc: r#"
### What it flags
A number literal other than `0`, `1` and `-1` that an assertion compares against: an operand
of `assertEqual`, `assertNotEqual`, `assertGreater(Equal)`, `assertLess(Equal)`,
`assertAlmostEqual` and `assertNotAlmostEqual`, or a side of a comparison (`==`, `<`, `in`...)
that is the condition of `assert`, `assertTrue` or `assertFalse`. Signed literals (`-2`) count;
the `places=`/`delta=` arguments of `assertAlmostEqual` do not, nor do HTTP status codes
(a whole number from 100 to 599) compared with something named like a status or a code
(`response.status_code`, `fault["code"]`).

Off by default: many suites compare against small counts on purpose, and the rule is a
reading aid for suites that want every expected number named.

### Why it matters
`self.assertEqual(4096, flavor["ram"])` passes or fails, but does not say where 4096 comes
from. When the setup changes, the reader has to rediscover which fixture value the number
mirrored. A named constant, or a value derived from the setup, carries its reason.

### Example
```python
def test_resize(self):
    self._resize(server, "big")
    self.assertEqual(4096, server["flavor"]["ram"])
```

### Use instead
```python
BIG_FLAVOR_RAM_MB = 4096

def test_resize(self):
    self._resize(server, "big")
    self.assertEqual(BIG_FLAVOR_RAM_MB, server["flavor"]["ram"])
```

### Fix
None: only the author knows what the number stands for.

### Known limits
Only literals that are a whole operand are reported (`2 * n` is not looked into), and only in
the assertion methods of unittest/testtools and in `assert` statements.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let source = ctx.source();
    for assertion in assertions(source, ctx.function) {
        // Each group holds the operands compared with each other.
        let mut groups: Vec<Vec<Node>> = Vec::new();
        match &assertion {
            Assertion::Statement(statement) => compared_operands(statement.condition, &mut groups),
            Assertion::Method(call) => match call.method.check {
                Check::Truthy | Check::Falsy => {
                    if let Some(operand) = call.operands.first() {
                        compared_operands(*operand, &mut groups);
                    }
                }
                check if check.compares() => {
                    groups.push(call.operands.iter().map(|o| unparenthesized(*o)).collect());
                }
                _ => {}
            },
        }
        let quoted = ctx.snippet(assertion.node(), 60);
        for group in &groups {
            for literal in group {
                let Some(value) = number_value(source, *literal) else {
                    continue;
                };
                if value == 0.0 || value == 1.0 || value == -1.0 {
                    continue;
                }
                let literal = *literal;
                if is_http_status(source, value, group) {
                    continue;
                }
            out.push(Diagnostic::new(
                RuleId::MagicNumberAssertion,
                TextRange::of(literal),
                format!(
                    "`{}` in `{quoted}` is a magic number: name what it stands for, or derive it from the setup",
                    ctx.text(literal)
                ),
            ));
            }
        }
    }
}

/// `404` compared with something named like a status or a code (`response.status_code`,
/// `fault["code"]`, `resp.status`): HTTP status codes are names everyone reads.
fn is_http_status(source: &str, value: f64, group: &[Node]) -> bool {
    (100.0..600.0).contains(&value)
        && value.fract() == 0.0
        && group.iter().any(|operand| {
            last_segment(source, *operand).is_some_and(|name| {
                let name = name.to_ascii_lowercase();
                name.contains("status") || name.contains("code")
            })
        })
}

/// The last name of an operand: `status_int` of `res.status_int`, `code` of `fault["code"]`.
fn last_segment<'s>(source: &'s str, node: Node) -> Option<&'s str> {
    let mut current = unparenthesized(node);
    // Bounded by the depth of the expression.
    loop {
        match kind(current) {
            Kind::Identifier => return source.get(current.byte_range()),
            Kind::Attribute => {
                return field(current, Field::Attribute).and_then(|a| source.get(a.byte_range()));
            }
            Kind::Subscript => {
                let index = named_children(current).nth(1)?;
                if kind(index) == Kind::String {
                    return named_children(index)
                        .find(|p| kind(*p) == Kind::StringContent)
                        .and_then(|c| source.get(c.byte_range()));
                }
                current = named_children(current).next()?;
            }
            Kind::Call => current = field(current, Field::Function)?,
            _ => return None,
        }
    }
}

/// The operands of the comparisons a condition is made of (through `and`, `or`, `not` and
/// parentheses, not into calls), one group per comparison.
fn compared_operands<'t>(condition: Node<'t>, out: &mut Vec<Vec<Node<'t>>>) {
    let mut stack = vec![condition];
    while let Some(node) = stack.pop() {
        let node = unparenthesized(node);
        match kind(node) {
            Kind::BooleanOperator => {
                stack.extend(field(node, Field::Right));
                stack.extend(field(node, Field::Left));
            }
            Kind::NotOperator => stack.extend(field(node, Field::Argument)),
            Kind::ComparisonOperator => {
                out.push(named_children(node).map(unparenthesized).collect());
            }
            _ => {}
        }
    }
}
