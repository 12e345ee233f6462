use tree_sitter::Node;

use crate::diagnostic::Diagnostic;
use crate::model::{FunctionKind, TestStyle, statements};
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::summary::{is_assertion_call, is_self};
use crate::syntax::{Field, Kind, field, kind, named_children};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::ConditionalTestLogic,
    code: "TQ603",
    name: "conditional-test-logic",
    category: Category::Structure,
    default_enabled: true,
    severity: Severity::Info,
    fix: None,
    summary: "`if`/`for`/`while`/`match` in a test body",
    doc: r#"
### What it flags
An `if`, `for`, `while` or `match` statement in a test's own body. Only the outermost one of a
nest is reported. Not flagged:

- comprehensions and conditional expressions (they are expressions, not paths through the
  test);
- loops and branches in helpers, fixtures, `setUp`, and in functions nested in the test (a stub
  handed to a patch runs on the code's path, not the test's);
- a `for` loop whose body is a single `with self.subTest(...)` block: that is unittest's
  documented way to parametrise, and each case is reported on its own (statements inside the
  `subTest` block are still looked at);
- an `if` whose only effect is to skip the test (`self.skipTest(..)`, `pytest.skip(..)`,
  `raise unittest.SkipTest(..)`).

### Why it matters
A test with branches and loops has several paths, and which one ran depends on data the
reader cannot see in the report: a branch never taken checks nothing, a loop over an empty
list asserts nothing, and a failure inside a loop does not say which item broke. Tests are
easiest to trust when they are straight-line: arrange, act, assert.

### Example
```python
def test_hosts(self):
    for host in ("host1", "host2"):
        server = self._boot(host)
        if host == "host1":
            self.assertEqual("ACTIVE", server["status"])
```

### Use instead
```python
@pytest.mark.parametrize("host", ["host1", "host2"])
def test_boot_is_active(host):
    server = boot(host)
    assert server["status"] == "ACTIVE"
```
or, in unittest, one test per case, or `with self.subTest(host=host):` around the body of the
loop.

### Fix
None: splitting a test is the author's call.

### Known limits
Polling loops that wait for a state are flagged too (`sleep-polling-loop` says more about
them); moving the wait into a helper such as `_wait_for_state` makes the test straight-line.
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
    let mut candidates: Vec<Node> = [
        Kind::IfStatement,
        Kind::ForStatement,
        Kind::WhileStatement,
        Kind::MatchStatement,
    ]
    .iter()
    .flat_map(|k| function.nodes(*k).iter().copied())
    .filter(|n| !is_exempt(ctx, *n))
    .collect();
    candidates.sort_by_key(|n| n.start_byte());
    // Report only the outermost: skip a statement inside an earlier reported one.
    let mut reported: Vec<TextRange> = Vec::new();
    for statement in candidates {
        let range = TextRange::of(statement);
        if reported.iter().any(|r| r.contains_range(range)) {
            continue;
        }
        reported.push(range);
        out.push(Diagnostic::new(
            RuleId::ConditionalTestLogic,
            header_range(statement),
            message(ctx, statement),
        ));
    }
}

fn message(ctx: &FunctionContext, statement: Node) -> String {
    let test = ctx.function.name;
    let part = |f: Field, max: usize| {
        field(statement, f)
            .map(|n| ctx.snippet(n, max))
            .unwrap_or_default()
    };
    let parametrise = if ctx.function.kind == FunctionKind::Test(TestStyle::Pytest) {
        "parametrise the test"
    } else {
        "write one test per case, or use `self.subTest`"
    };
    match kind(statement) {
        Kind::IfStatement => format!(
            "`{test}` branches on `{}`: which checks run depends on data; write one test per case",
            part(Field::Condition, 50)
        ),
        Kind::ForStatement if checks_inside(ctx, statement) => format!(
            "`{test}` loops over `{}`: the checks run once per item, none if it is empty, and a failure does not say which item; {parametrise}",
            part(Field::Right, 50)
        ),
        Kind::ForStatement => format!(
            "`{test}` loops over `{}`: its steps repeat per item of data; move the loop into a helper named for what it prepares, so the test reads straight through",
            part(Field::Right, 50)
        ),
        Kind::WhileStatement => format!(
            "`{test}` loops while `{}`: how often its body runs depends on data or timing; move the loop into a helper with a bound",
            part(Field::Condition, 50)
        ),
        _ => format!(
            "`{test}` matches on `{}`: which checks run depends on data; write one test per case",
            part(Field::Subject, 50)
        ),
    }
}

/// Whether an assertion of the test lies inside `statement`.
fn checks_inside(ctx: &FunctionContext, statement: Node) -> bool {
    let range = TextRange::of(statement);
    let inside = |n: &&Node| range.contains_range(TextRange::of(**n));
    ctx.function.nodes(Kind::AssertStatement).iter().any(|n| inside(&n))
        || ctx
            .function
            .nodes(Kind::Call)
            .iter()
            .filter(inside)
            .any(|call| is_assertion_call(ctx, *call))
}

/// The statement's header: from its keyword to the `:` that ends the header line.
fn header_range(statement: Node) -> TextRange {
    let mut cursor = statement.walk();
    let colon = statement
        .children(&mut cursor)
        .find(|c| !c.is_named() && c.kind() == ":");
    TextRange::new(
        statement.start_byte(),
        colon.map_or(statement.end_byte(), |c| c.end_byte()),
    )
}

fn is_exempt(ctx: &FunctionContext, statement: Node) -> bool {
    match kind(statement) {
        Kind::ForStatement => is_subtest_loop(ctx, statement),
        Kind::IfStatement => is_skip_guard(ctx, statement),
        _ => false,
    }
}

/// `for case in cases: with self.subTest(...): ...` with nothing else in the loop.
fn is_subtest_loop(ctx: &FunctionContext, statement: Node) -> bool {
    if field(statement, Field::Alternative).is_some() {
        return false;
    }
    let Some(body) = field(statement, Field::Body) else {
        return false;
    };
    let body = statements(body);
    let [only] = body.as_slice() else {
        return false;
    };
    if kind(*only) != Kind::WithStatement {
        return false;
    }
    let Some(clause) = named_children(*only).find(|c| kind(*c) == Kind::WithClause) else {
        return false;
    };
    named_children(clause).any(|item| {
        let value = field(item, Field::Value);
        let call = match value.map(kind) {
            Some(Kind::AsPattern) => value.and_then(|v| named_children(v).next()),
            _ => value,
        };
        call.filter(|c| kind(*c) == Kind::Call)
            .and_then(|c| field(c, Field::Function))
            .filter(|f| kind(*f) == Kind::Attribute)
            .is_some_and(|f| {
                field(f, Field::Object).is_some_and(|o| is_self(ctx.source(), o))
                    && field(f, Field::Attribute).is_some_and(|a| ctx.text(a) == "subTest")
            })
    })
}

/// `if cond: self.skipTest(..)` (or `pytest.skip(..)`, `raise SkipTest(..)`) with no other
/// branch.
fn is_skip_guard(ctx: &FunctionContext, statement: Node) -> bool {
    if field(statement, Field::Alternative).is_some() {
        return false;
    }
    let Some(body) = field(statement, Field::Consequence) else {
        return false;
    };
    let body = statements(body);
    !body.is_empty() && body.iter().all(|s| is_skip(ctx, *s))
}

fn is_skip(ctx: &FunctionContext, statement: Node) -> bool {
    match kind(statement) {
        Kind::ExpressionStatement => {
            let Some(call) = statement.named_child(0).filter(|c| kind(*c) == Kind::Call) else {
                return false;
            };
            let Some(callee) = field(call, Field::Function) else {
                return false;
            };
            if kind(callee) == Kind::Attribute
                && field(callee, Field::Object).is_some_and(|o| is_self(ctx.source(), o))
                && field(callee, Field::Attribute).is_some_and(|a| ctx.text(a) == "skipTest")
            {
                return true;
            }
            ctx.callee(call).as_deref() == Some("pytest.skip")
        }
        Kind::RaiseStatement => statement.named_child(0).is_some_and(|raised| {
            let class = if kind(raised) == Kind::Call {
                field(raised, Field::Function)
            } else {
                Some(raised)
            };
            class.is_some_and(|c| {
                ctx.resolve(c)
                    .as_deref()
                    .unwrap_or(ctx.text(c))
                    .ends_with("SkipTest")
            })
        }),
        _ => false,
    }
}
