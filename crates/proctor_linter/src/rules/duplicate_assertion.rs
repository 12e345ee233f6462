use std::collections::HashSet;

use tree_sitter::Node;

use crate::Applicability;
use crate::assertions::{
    Check, is_mock_assertion, is_pure_expression, method_assertion, normalized_text,
    statement_assertion,
};
use crate::diagnostic::{Diagnostic, Fix};
use crate::fixes::delete_statement_lines;
use crate::model::statements;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::summary::is_self;
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::DuplicateAssertion,
    code: "TQ505",
    name: "duplicate-assertion",
    category: Category::Assertions,
    default_enabled: true,
    severity: Severity::Warning,
    fix: Some(Applicability::Safe),
    summary: "the same assertion twice in one test with nothing between that could change its outcome",
    doc: r#"
### What it flags
An assertion in a test that repeats an earlier one in the same block, when everything between
the two is itself an assertion that changes nothing. Assertions are compared on their tokens,
so layout, comments and quote style do not hide a repeat.

### Why it matters
The second check can only give the answer the first one gave: it adds reading, not
protection. Usually it is a copy-paste slip where the second line was meant to check something
else — the other server, the other host, the value after the action.

### Example
```python
def test_migrate(self):
    self._migrate(server)
    self.assertEqual("host2", server["host"])
    self.assertEqual("ACTIVE", server["status"])
    self.assertEqual("host2", server["host"])
```

### Use instead
```python
def test_migrate(self):
    self._migrate(server)
    self.assertEqual("host2", server["host"])
    self.assertEqual("ACTIVE", server["status"])
```

### Fix
Safe: deletes the repeated assertion (with its line). Nothing between the two can have changed
the outcome, so the test checks exactly what it did.

### Known limits
The rule is deliberately conservative about what "could change the outcome" means: any
statement between the two that is not an assertion, and any assertion whose arguments call
something (other than builtins such as `len` that change nothing), ends the search —
`self.assertEqual(next(it), 1)` twice is two different checks. Reading another object's private
attribute (`self.client._client`) counts as possibly changing state too, since such attributes
are often properties that build their value on first access, and checking the value twice is
how a test checks it is reused. Other properties with side effects are not seen. Only
assertions in the same block are compared.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    if !ctx.function.is_test() {
        return;
    }
    let source = ctx.source();
    for block in ctx.function.nodes(Kind::Block) {
        let statements = statements(*block);
        let keys: Vec<Option<String>> = statements
            .iter()
            .map(|s| is_pure_assertion(source, *s).then(|| normalized_text(source, *s)))
            .collect();
        let mut reported: HashSet<usize> = HashSet::new();
        for (i, key) in keys.iter().enumerate() {
            let Some(key) = key else { continue };
            for (j, other) in keys.iter().enumerate().skip(i + 1) {
                let Some(other) = other else { break };
                if other != key || !reported.insert(j) {
                    continue;
                }
                let Some(repeat) = statements.get(j) else {
                    continue;
                };
                out.push(report(ctx, *repeat, j - i));
            }
        }
    }
}

fn report(ctx: &FunctionContext, repeat: Node, distance: usize) -> Diagnostic {
    let place = if distance == 1 {
        "just above it".to_string()
    } else {
        format!("{distance} statements above")
    };
    let fix = delete_statement_lines(ctx.file, repeat)
        .map(|edit| Fix::safe("Delete the repeated assertion", vec![edit]));
    Diagnostic::new(
        RuleId::DuplicateAssertion,
        TextRange::of(repeat),
        format!(
            "`{}` in `{}` repeats the assertion {place}, and nothing between them can change its outcome",
            ctx.snippet(repeat, 70),
            ctx.function.name
        ),
    )
    .with_optional_fix(fix)
}

/// An assertion statement that neither changes state nor reads state that changes when it is
/// evaluated: `assert` or a `self.assert*` / mock `assert_*` call whose arguments are pure.
fn is_pure_assertion(source: &str, statement: Node) -> bool {
    !reads_private_attribute(source, statement) && asserts_purely(source, statement)
}

/// `obj._cache`-style reads of another object's private attribute: often a property that
/// builds its value on first access, where reading twice is the point (`assertIs(x, c._client)`
/// twice checks the client is reused).
fn reads_private_attribute(source: &str, node: Node) -> bool {
    let mut stack = vec![node];
    while let Some(current) = stack.pop() {
        if kind(current) == Kind::Attribute {
            let private = field(current, Field::Attribute)
                .and_then(|a| source.get(a.byte_range()))
                .is_some_and(|name| name.starts_with('_') && !name.ends_with("__"));
            let on_other = field(current, Field::Object).is_some_and(|o| !is_self(source, o));
            if private && on_other {
                return true;
            }
        }
        let mut cursor = current.walk();
        stack.extend(current.named_children(&mut cursor));
    }
    false
}

fn asserts_purely(source: &str, statement: Node) -> bool {
    match kind(statement) {
        Kind::AssertStatement => statement_assertion(statement).is_some_and(|a| {
            is_pure_expression(source, a.condition)
                && a.message.is_none_or(|m| is_pure_expression(source, m))
        }),
        Kind::ExpressionStatement => {
            let Some(call) = statement.named_child(0).filter(|c| kind(*c) == Kind::Call) else {
                return false;
            };
            let Some(arguments) = field(call, Field::Arguments) else {
                return false;
            };
            let asserts = match method_assertion(source, call) {
                Some(assertion) => !matches!(
                    assertion.method.check,
                    Check::Raises | Check::Warns | Check::Logs
                ),
                None => {
                    is_mock_assertion(source, call)
                        && field(call, Field::Function)
                            .and_then(|f| field(f, Field::Object))
                            .is_some_and(|o| is_pure_expression(source, o))
                }
            };
            asserts && is_pure_expression(source, arguments)
        }
        _ => false,
    }
}
