use tree_sitter::Node;

use crate::Applicability;
use crate::assertions::{Assertion, Check, assertions, unparenthesized};
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::model::call_arguments;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::syntax::{Field, Kind, field, kind};
use crate::text::{TextRange, indentation_at, line_ending};

pub const RULE: Rule = Rule {
    id: RuleId::CompositeAssertion,
    code: "TQ509",
    name: "composite-assertion",
    category: Category::Assertions,
    default_enabled: true,
    severity: Severity::Info,
    fix: Some(Applicability::Safe),
    summary: "`assert a and b` / `assertTrue(a and b)`: a failure does not say which part",
    doc: r#"
### What it flags
An assertion of several conditions joined with `and`: `assert a and b`,
`self.assertTrue(a and b)`, and the dual `self.assertFalse(a or b)`, in any test code.

### Why it matters
When it fails, the report says the whole condition was false, not which part: the reader
re-runs the test with prints to find out. One assertion per condition fails on the exact fact
that broke (and pytest shows the values of just that part).

### Example
```python
def test_boot(self):
    assert server["status"] == "ACTIVE" and server["host"] == "host1"
    self.assertTrue(port["bound"] and port["active"], "port state")
```

### Use instead
```python
def test_boot(self):
    assert server["status"] == "ACTIVE"
    assert server["host"] == "host1"
    self.assertTrue(port["bound"], "port state")
    self.assertTrue(port["active"], "port state")
```

### Fix
Safe: splits the assertion into one per operand, in order, each keeping the original message.
The parts are evaluated exactly as before: `a and b` evaluates `b` only when `a` holds, and
the split version reaches `assert b` only when `assert a` passed. The fix is not offered when
an operand uses `:=`, when the assertion shares its line with other code or has comments
inside it (they would be lost), or when the call passes anything but the condition and a
message. A part that spans several lines is wrapped in parentheses.

### Known limits
Only top-level `and` (or `or` under `assertFalse`) is split; `not (a or b)` is left alone.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    for assertion in assertions(ctx.source(), ctx.function) {
        let (condition, joiner) = match &assertion {
            Assertion::Statement(statement) => (statement.condition, "and"),
            Assertion::Method(call) => match (call.method.check, call.operands.first()) {
                (Check::Truthy, Some(operand)) => (*operand, "and"),
                (Check::Falsy, Some(operand)) => (*operand, "or"),
                _ => continue,
            },
        };
        let parts = operands(condition, joiner);
        if parts.len() < 2 {
            continue;
        }
        let node = assertion.node();
        let fix = split_fix(ctx, &assertion, &parts);
        out.push(
            Diagnostic::new(
                RuleId::CompositeAssertion,
                TextRange::of(node),
                format!(
                    "`{}` checks {} conditions at once: when it fails, the report does not say which; assert each on its own",
                    ctx.snippet(node, 60),
                    parts.len()
                ),
            )
            .with_optional_fix(fix),
        );
    }
}

/// The operands of a chain of `joiner` (`a and b and c` → `a`, `b`, `c`), through parentheses.
fn operands<'t>(condition: Node<'t>, joiner: &str) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut stack = vec![condition];
    while let Some(node) = stack.pop() {
        let inner = unparenthesized(node);
        let joined = kind(inner) == Kind::BooleanOperator
            && field(inner, Field::Operator).is_some_and(|o| o.kind() == joiner);
        match (joined, field(inner, Field::Left), field(inner, Field::Right)) {
            (true, Some(left), Some(right)) => {
                stack.push(right);
                stack.push(left);
            }
            _ => out.push(node),
        }
    }
    out
}

fn split_fix(ctx: &FunctionContext, assertion: &Assertion, parts: &[Node]) -> Option<Fix> {
    let source = ctx.source();
    let node = assertion.node();
    // The statement the assertion is must stand alone on its lines.
    let statement = match assertion {
        Assertion::Statement(_) => node,
        Assertion::Method(_) => node
            .parent()
            .filter(|p| kind(*p) == Kind::ExpressionStatement)?,
    };
    // A comment inside the assertion would be lost by the rewrite.
    if contains_kind(statement, Kind::NamedExpression) || contains_kind(statement, Kind::Comment)
    {
        return None;
    }
    let lines = &ctx.file.lines;
    let line_start = lines.line_start(lines.line_of(statement.start_byte()));
    if !source
        .get(line_start..statement.start_byte())?
        .trim_matches([' ', '\t'])
        .is_empty()
    {
        return None;
    }
    let last_line = lines.line_range(lines.line_of(statement.end_byte()), source);
    let after = source
        .get(statement.end_byte()..last_line.end.max(statement.end_byte()))?
        .trim_start();
    if !(after.is_empty() || after.starts_with('#')) {
        return None;
    }
    if parts.iter().any(|p| ctx.text(*p).contains("\\\n") || ctx.text(*p).contains("\\\r")) {
        return None;
    }
    let indent = indentation_at(source, lines, statement.start_byte());
    let eol = line_ending(source);
    let pieces: Vec<String> = match assertion {
        Assertion::Statement(statement) => {
            let message = statement
                .message
                .map(|m| format!(", {}", ctx.text(m)))
                .unwrap_or_default();
            parts
                .iter()
                .map(|part| {
                    let text = ctx.text(*part);
                    // A part that spans lines needs brackets once it stands alone.
                    if text.contains(['\n', '\r']) && kind(*part) != Kind::ParenthesizedExpression
                    {
                        format!("assert ({text}){message}")
                    } else {
                        format!("assert {text}{message}")
                    }
                })
                .collect()
        }
        Assertion::Method(call) => {
            if call.has_splat {
                return None;
            }
            let arguments = call_arguments(call.call);
            // For `msg=...`, the whole keyword argument.
            let message = call.message.map(|message| match message.parent() {
                Some(keyword) if kind(keyword) == Kind::KeywordArgument => keyword,
                _ => message,
            });
            // Only the condition and the message: anything else might not survive a split.
            if arguments.len() != 1 + usize::from(message.is_some()) {
                return None;
            }
            let callee = ctx.text(field(call.call, Field::Function)?);
            let message = message
                .map(|m| format!(", {}", ctx.text(m)))
                .unwrap_or_default();
            parts
                .iter()
                .map(|part| format!("{callee}({}{message})", ctx.text(*part)))
                .collect()
        }
    };
    let replacement = pieces.join(&format!("{eol}{indent}"));
    Some(Fix::safe(
        format!("Split into {} assertions", parts.len()),
        vec![Edit::replace(TextRange::of(node), replacement)],
    ))
}

fn contains_kind(node: Node, wanted: Kind) -> bool {
    let mut stack = vec![node];
    while let Some(current) = stack.pop() {
        if kind(current) == wanted {
            return true;
        }
        let mut cursor = current.walk();
        stack.extend(current.named_children(&mut cursor));
    }
    false
}

#[cfg(test)]
mod tests {
    use crate::fix::{FixMode, fix_source};
    use crate::registry::RuleId;
    use crate::settings::Settings;
    use crate::workspace::Workspace;

    fn split(source: &str) -> String {
        let mut settings = Settings::default();
        settings.rules = std::iter::once(RuleId::CompositeAssertion).collect();
        fix_source(source, None, &settings, &Workspace::empty(), FixMode::Safe).source
    }

    #[test]
    fn a_part_spanning_lines_gets_parentheses() {
        let source = "def test_x():\n    assert (a\n            and b ==\n            c)\n";
        assert_eq!(
            split(source),
            "def test_x():\n    assert a\n    assert (b ==\n            c)\n"
        );
    }

    #[test]
    fn crlf_files_keep_their_line_endings() {
        let source = "def test_x():\r\n    assert a and b, 'm'\r\n";
        assert_eq!(
            split(source),
            "def test_x():\r\n    assert a, 'm'\r\n    assert b, 'm'\r\n"
        );
    }
}
