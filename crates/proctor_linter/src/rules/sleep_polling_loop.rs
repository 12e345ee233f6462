use std::collections::HashSet;

use tree_sitter::Node;

use crate::Applicability;
use crate::diagnostic::Diagnostic;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::SleepPollingLoop,
    code: "TQ302",
    name: "sleep-polling-loop",
    category: Category::Timing,
    default_enabled: true,
    severity: Severity::Warning,
    fix: None::<Applicability>,
    summary: "a `while` loop in test code whose body sleeps, with no deadline or attempt bound",
    doc: r#"
### What it flags
A `while` loop in test code (a test, a fixture, `setUp`, a helper, or a function nested in
one) whose body sleeps — `time.sleep`, `eventlet.sleep`, `gevent.sleep`, `asyncio.sleep`,
through any import alias — and that nothing bounds: no counter that the loop advances and
checks, no deadline compared with the clock, no enclosing timeout.

### Why it matters
A polling loop waits for a condition the code under test should bring about. When a bug means
it never does, an unbounded loop does not fail: it hangs, and the whole test run hangs with it
until a CI job is killed with no hint of which test or which condition. A bounded wait turns the
same bug into a clear failure naming what never happened.

### Example
```python
def test_volume_attaches(self):
    self.api.attach(server, volume)
    while not self.api.get_server_volumes(server["id"]):
        time.sleep(0.1)
```

### Use instead
A wait-until helper with a deadline, which fails with a message:

```python
def wait_until(predicate, timeout=10.0, interval=0.1, message="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)

def test_volume_attaches(self):
    self.api.attach(server, volume)
    wait_until(lambda: self.api.get_server_volumes(server["id"]),
               message="the volume to attach")
```

Or count attempts (`for _ in range(100): ...; else: self.fail(...)`), or better, wait on an
event the code under test sets.

### Fix
None: choose the deadline and the failure message.

### Known limits
A loop counts as bounded when a name it advances with `+=`/`-=` appears in its condition or in
a comparison inside it, when a comparison inside it involves the clock (`time.time()`,
`time.monotonic()`, a name assigned from them), or when it runs inside a `with` whose context
manager is a timeout. A loop bounded some other way (an iterator that runs out, a `break` on a
flag another thread clears) is still reported; suppress it with `# noqa: TQ302`.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

/// The calls that sleep.
pub const SLEEPS: &[&str] = &[
    "time.sleep",
    "eventlet.sleep",
    "eventlet.greenthread.sleep",
    "gevent.sleep",
    "asyncio.sleep",
];

/// Calls that read the clock, for deadlines.
const CLOCKS: &[&str] = &[
    "time.time",
    "time.monotonic",
    "time.perf_counter",
    "time.time_ns",
    "time.monotonic_ns",
    "time.perf_counter_ns",
    "datetime.datetime.now",
    "datetime.datetime.utcnow",
    "oslo_utils.timeutils.utcnow",
    "oslo_utils.timeutils.is_older_than",
    "oslo_utils.timeutils.is_newer_than",
    "oslo_utils.timeutils.delta_seconds",
];

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let function = ctx.function;
    let loops = function.nodes(Kind::WhileStatement);
    if loops.is_empty() {
        return;
    }
    let mut reported: HashSet<usize> = HashSet::new();
    for call in function.nodes(Kind::Call) {
        let Some(callee) = ctx.callee(*call) else {
            continue;
        };
        if !SLEEPS.contains(&callee.as_str()) {
            continue;
        }
        // The innermost loop around the sleep is the one that polls.
        let Some(innermost) = loops
            .iter()
            .filter(|l| l.start_byte() <= call.start_byte() && call.end_byte() <= l.end_byte())
            .min_by_key(|l| l.end_byte() - l.start_byte())
        else {
            continue;
        };
        // A sleep in the loop's `else:` does not repeat.
        if field(*innermost, Field::Alternative)
            .is_some_and(|e| e.start_byte() <= call.start_byte() && call.end_byte() <= e.end_byte())
        {
            continue;
        }
        if !reported.insert(innermost.start_byte()) || is_bounded(ctx, *innermost) {
            continue;
        }
        let header_end = field(*innermost, Field::Condition).map_or(innermost.start_byte(), |c| c.end_byte());
        out.push(Diagnostic::new(
            RuleId::SleepPollingLoop,
            TextRange::new(innermost.start_byte(), header_end),
            format!(
                "`while` loop in {} polls with `{}` and has no deadline or attempt bound: if the condition never holds, the test hangs instead of failing",
                ctx.describe(),
                ctx.text(*call)
            ),
        ));
    }
}

fn within(outer: Node, inner: Node) -> bool {
    outer.start_byte() <= inner.start_byte() && inner.end_byte() <= outer.end_byte()
}

fn is_bounded(ctx: &FunctionContext, loop_node: Node) -> bool {
    let function = ctx.function;
    // Names the loop advances: `tries += 1`, `timeout -= 0.1`, `self.count += 1`.
    let counters: HashSet<&str> = function
        .nodes(Kind::AugmentedAssignment)
        .iter()
        .filter(|a| within(loop_node, **a))
        .filter_map(|a| field(*a, Field::Left))
        .map(|left| ctx.text(left))
        .collect();
    let mentions_counter = |node: Node| {
        let text = ctx.text(node);
        counters.iter().any(|c| contains_name(text, c))
    };
    if let Some(condition) = field(loop_node, Field::Condition)
        && mentions_counter(condition)
    {
        return true;
    }
    // Names holding a time: `deadline = time.time() + 10`.
    let clock_names: HashSet<&str> = function
        .nodes(Kind::Assignment)
        .iter()
        .filter(|a| {
            field(**a, Field::Right).is_some_and(|right| {
                function
                    .nodes(Kind::Call)
                    .iter()
                    .any(|c| within(right, *c) && is_clock(ctx, *c))
            })
        })
        .filter_map(|a| field(*a, Field::Left))
        .filter(|l| matches!(kind(*l), Kind::Identifier | Kind::Attribute))
        .map(|l| ctx.text(l))
        .collect();
    for comparison in function
        .nodes(Kind::ComparisonOperator)
        .iter()
        .filter(|c| within(loop_node, **c))
    {
        if mentions_counter(*comparison) {
            return true;
        }
        let text = ctx.text(*comparison);
        if clock_names.iter().any(|n| contains_name(text, n))
            || function
                .nodes(Kind::Call)
                .iter()
                .any(|c| within(*comparison, *c) && is_clock(ctx, *c))
        {
            return true;
        }
    }
    // An enclosing `with` on a timeout, or a timeout decorator on the function.
    let in_timeout = function.nodes(Kind::WithStatement).iter().any(|w| {
        within(*w, loop_node) && {
            let header_end = field(*w, Field::Body).map_or(w.end_byte(), |b| b.start_byte());
            ctx.source()
                .get(w.start_byte()..header_end)
                .is_some_and(|h| h.to_ascii_lowercase().contains("timeout"))
        }
    });
    in_timeout
        || std::iter::once(function)
            .chain(ctx.ancestors())
            .flat_map(|f| f.decorators.iter())
            .any(|d| ctx.text(*d).to_ascii_lowercase().contains("timeout"))
}

fn is_clock(ctx: &FunctionContext, call: Node) -> bool {
    ctx.callee(call).is_some_and(|c| CLOCKS.contains(&c.as_str()))
}

/// Whether `name` (an identifier or dotted chain) appears in `text` as a whole name.
pub(crate) fn contains_name(text: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let is_name_char = |c: char| c == '_' || c.is_alphanumeric();
    let mut start = 0;
    while let Some(found) = text[start..].find(name) {
        let at = start + found;
        let end = at + name.len();
        let before_ok = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !is_name_char(c) && c != '.');
        let after_ok = text[end..].chars().next().is_none_or(|c| !is_name_char(c));
        if before_ok && after_ok {
            return true;
        }
        start = end;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::contains_name;

    #[test]
    fn whole_names_only() {
        assert!(contains_name("timeout < 10.0", "timeout"));
        assert!(contains_name("self.count > 3", "self.count"));
        assert!(!contains_name("my_timeout < 10", "timeout"));
        assert!(!contains_name("timeouts < 10", "timeout"));
        assert!(!contains_name("x.timeout < 10", "timeout"));
        assert!(!contains_name("", ""));
    }
}
