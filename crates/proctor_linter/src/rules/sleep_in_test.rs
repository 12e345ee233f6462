use std::collections::HashSet;

use tree_sitter::Node;

use crate::Applicability;
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::fixes::header_colon_end;
use crate::mocking::{find_patch, short_target};
use crate::model::{FunctionKind, call_arguments};
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::syntax::{Field, Kind, field, is_statement, kind};
use crate::text::{TextRange, indentation_at, line_ending};
use crate::unit::Function;

pub const RULE: Rule = Rule {
    id: RuleId::SleepInTest,
    code: "TQ301",
    name: "sleep-in-test",
    category: Category::Timing,
    default_enabled: true,
    severity: Severity::Warning,
    fix: Some(Applicability::Refactor),
    summary: "a fixed sleep (`time.sleep`, `eventlet.sleep`, `gevent.sleep`, `asyncio.sleep`…) with a non-zero delay in test code, stubs nested in tests included",
    doc: r#"
### What it flags
A fixed sleep with a non-zero delay in test code — tests, fixtures, `setUp`-family methods,
helpers and functions nested in them, such as a stub handed to a patch: `time.sleep`,
`eventlet.sleep`, `eventlet.greenthread.sleep`, `gevent.sleep` and `asyncio.sleep`, through any
import alias (`from time import sleep as pause`). A literal zero delay (`eventlet.sleep(0)`,
`await asyncio.sleep(0)`, `eventlet.sleep()`) only yields to other green threads or tasks and is
not flagged, nor is a sleep inside a loop: that is the interval of a polling loop, the right
way to wait for a condition nothing signals (an unbounded one is `sleep-polling-loop`'s
business).

### Why it matters
A sleep guesses how long something takes: on a fast machine the guess wastes time on every
run, and on a loaded CI machine it is too short and the test fails for no reason. Sleeps used to force an
interleaving ("let the periodic task start, then finish the evacuation") are the worst kind:
the ordering they are meant to guarantee is only likely, never certain. Waiting for an event
that the code signals states the ordering and takes exactly as long as needed.

### Example
```python
def test_evacuate_races_with_update_available_resource(self):
    orig_drop = objects.Instance.drop_migration_context

    def slow_drop(*args, **kwargs):
        time.sleep(1)
        return orig_drop(*args, **kwargs)
```

### Use instead
```python
def test_evacuate_races_with_update_available_resource(self):
    orig_drop = objects.Instance.drop_migration_context
    periodic_started = threading.Event()

    def slow_drop(*args, **kwargs):
        periodic_started.wait(timeout=10)
        return orig_drop(*args, **kwargs)

    # ... and call periodic_started.set() from the stub of the periodic task.
```

### Fix
Refactor "Replace sleep with event wait": declares a `threading.Event` in the enclosing test
(or fixture, `setUp` or helper when there is no test around the sleep) just above the statement
that holds the sleep, replaces the sleep by `<event>.wait(timeout=<the old delay>)`, and leaves a
`# TODO(proctor):` comment where the event is declared, saying that the author must call
`<event>.set()` where the awaited condition becomes true. `import threading` is added when
missing. In an `async def`, the event is an `asyncio.Event` and the wait is
`asyncio.wait_for(<event>.wait(), timeout=<the old delay>)` (an `asyncio.Event` has no timeout
of its own, so there a timeout raises `TimeoutError` instead of returning `False`).

### Known limits
A sleep that the test itself patches (`@mock.patch('time.sleep')` on the test, or a patch of
it in the same function) is not a real wait and is not flagged; a patch made in `setUp` or on
the class is not seen, so such a sleep is still reported. A delay given by a variable is
reported, since it cannot be told from zero.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

/// The fixed-delay sleeps, by resolved path.
const SLEEPS: &[&str] = &[
    "time.sleep",
    "eventlet.sleep",
    "eventlet.greenthread.sleep",
    "gevent.sleep",
    "asyncio.sleep",
];

/// A sleep call that the rule reports.
struct Sleep<'t> {
    call: Node<'t>,
    path: String,
    delay: Node<'t>,
}

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let sleeps = reported_sleeps(ctx);
    if sleeps.is_empty() {
        return;
    }
    let enclosing = enclosing_scope(ctx);
    let names = event_names(ctx, enclosing, sleeps.len());
    for (sleep, name) in sleeps.iter().zip(names) {
        let message = format!(
            "`{}({})` in {} waits a fixed time instead of waiting for an event",
            ctx.text(field(sleep.call, Field::Function).unwrap_or(sleep.call)),
            ctx.text(sleep.delay),
            describe_function(ctx),
        );
        let fix = event_wait_fix(ctx, enclosing, sleep, &name);
        out.push(
            Diagnostic::new(RuleId::SleepInTest, TextRange::of(sleep.call), message)
                .with_optional_fix(fix),
        );
    }
}

/// The sleeps of the function that the rule reports, in source order: a known sleep, with a
/// delay that is not literally zero, outside loops, not patched away by the test.
fn reported_sleeps<'t>(ctx: &FunctionContext<'_, 't>) -> Vec<Sleep<'t>> {
    let mut patched: Option<HashSet<String>> = None;
    let mut out = Vec::new();
    for call in ctx.function.nodes(Kind::Call) {
        let Some(path) = ctx.callee(*call) else {
            continue;
        };
        if !SLEEPS.contains(&path.as_str()) {
            continue;
        }
        let Some(delay) = delay_argument(ctx, *call) else {
            continue;
        };
        if is_literal_zero(ctx.text(delay)) && matches!(kind(delay), Kind::Integer | Kind::Float)
        {
            continue;
        }
        if in_loop(ctx, *call) {
            continue;
        }
        let patched = patched.get_or_insert_with(|| patched_targets(ctx));
        if patched.contains(short_target(&path)) {
            continue;
        }
        out.push(Sleep {
            call: *call,
            path,
            delay,
        });
    }
    out
}

/// Whether the sleep is inside a loop of its function: the interval of a polling loop.
/// A bounded poll is the right way to wait for a condition nothing signals, and an unbounded
/// one is `sleep-polling-loop`'s business.
fn in_loop(ctx: &FunctionContext, call: Node) -> bool {
    let mut current = call;
    while let Some(parent) = current.parent() {
        if parent == ctx.function.node {
            return false;
        }
        if matches!(kind(parent), Kind::WhileStatement | Kind::ForStatement) {
            return true;
        }
        current = parent;
    }
    false
}

/// The delay: the first positional argument, or `secs=`/`seconds=`/`delay=`.
fn delay_argument<'t>(ctx: &FunctionContext<'_, 't>, call: Node<'t>) -> Option<Node<'t>> {
    let arguments = call_arguments(call);
    if let Some(first) = arguments.first()
        && !matches!(
            kind(*first),
            Kind::KeywordArgument | Kind::ListSplat | Kind::DictionarySplat
        )
    {
        return Some(*first);
    }
    arguments.iter().find_map(|arg| {
        if kind(*arg) != Kind::KeywordArgument {
            return None;
        }
        let name = ctx.text(field(*arg, Field::Name)?);
        matches!(name, "secs" | "seconds" | "delay")
            .then(|| field(*arg, Field::Value))
            .flatten()
    })
}

fn is_literal_zero(text: &str) -> bool {
    let digits = text.replace('_', "");
    let lower = digits.to_ascii_lowercase();
    if let Some(hex) = lower.strip_prefix("0x") {
        return hex.chars().all(|c| c == '0');
    }
    if let Some(rest) = lower.strip_prefix("0o").or_else(|| lower.strip_prefix("0b")) {
        return rest.chars().all(|c| c == '0');
    }
    lower.parse::<f64>().is_ok_and(|v| v == 0.0)
}

/// What this function and the functions around it patch (decorators included) among the
/// sleeps, as short targets (`time.sleep`): a sleep patched there is a mock, not a wait.
/// Only calls with a string argument naming a sleep are classified: a patch of a sleep names
/// it (`'time.sleep'`, or `time, 'sleep'`).
fn patched_targets(ctx: &FunctionContext) -> HashSet<String> {
    let source = ctx.source();
    let mut out = HashSet::new();
    for scope in std::iter::once(ctx.function).chain(ctx.ancestors()) {
        let scoped = FunctionContext {
            function: scope,
            ..*ctx
        };
        for string in scope.nodes(Kind::String) {
            if !ctx.text(*string).contains("sleep") {
                continue;
            }
            let call = string
                .parent()
                .filter(|p| kind(*p) == Kind::ArgumentList)
                .and_then(|list| list.parent())
                .filter(|c| kind(*c) == Kind::Call);
            if let Some(target) = call
                .and_then(|call| find_patch(source, call, |n| scoped.resolve(n)))
                .and_then(|patch| patch.target())
            {
                out.insert(short_target(&target).to_string());
            }
        }
    }
    out
}

/// "test `test_x`", "`slow_drop` (nested in test `test_x`)", "setUp", "helper `_wait`".
fn describe_function(ctx: &FunctionContext) -> String {
    let function = ctx.function;
    let own = role(function);
    match ctx.ancestors().last() {
        Some(outer) if function.kind == FunctionKind::Nested => {
            format!("`{}` (nested in {})", function.name, role(outer))
        }
        _ => own,
    }
}

fn role(function: &Function) -> String {
    let what = match function.kind {
        FunctionKind::Test(_) => "test",
        FunctionKind::Fixture => "fixture",
        FunctionKind::Setup(_) => "",
        FunctionKind::Helper | FunctionKind::Special => "helper",
        FunctionKind::Nested => "nested function",
    };
    if what.is_empty() {
        format!("`{}`", function.name)
    } else {
        format!("{what} `{}`", function.name)
    }
}

/// The "Replace sleep with event wait" refactor.
fn event_wait_fix(
    ctx: &FunctionContext,
    enclosing: &Function,
    sleep: &Sleep,
    name: &str,
) -> Option<Fix> {
    let source = ctx.source();
    let lines = &ctx.file.lines;
    let eol = line_ending(source);
    let body = enclosing.body?;
    // Declaring a statement needs a body on its own lines.
    if lines.line_of(body.start_byte()) == lines.line_of(enclosing.node.start_byte()) {
        return None;
    }
    let statement = statement_in(body, sleep.call)?;
    let is_asyncio = sleep.path == "asyncio.sleep";
    // A blocking sleep in `async def` becomes an awaited wait where `await` can go.
    let blocking_statement_in_async = ctx.function.is_async
        && sleep
            .call
            .parent()
            .is_some_and(|p| kind(p) == Kind::ExpressionStatement);
    let module = if is_asyncio || blocking_statement_in_async {
        "asyncio"
    } else {
        "threading"
    };
    let delay = ctx.text(sleep.delay);
    let wait = if is_asyncio {
        // Replaces the coroutine; an `await` in front of it stays.
        format!("asyncio.wait_for({name}.wait(), timeout={delay})")
    } else if blocking_statement_in_async {
        format!("await asyncio.wait_for({name}.wait(), timeout={delay})")
    } else {
        format!("{name}.wait(timeout={delay})")
    };
    let at = group_start(ctx, enclosing, statement);
    let indent = indentation_at(source, lines, statement.start_byte());
    let waiter = if ctx.function.is_test() {
        "the test"
    } else {
        ctx.function.name
    };
    let mut declaration = format!(
        "{indent}# TODO(proctor): call {name}.set() where {waiter} may go on.{eol}{indent}{name} = {module}.Event(){eol}"
    );
    if matches!(
        kind(statement),
        Kind::FunctionDefinition | Kind::DecoratedDefinition | Kind::ClassDefinition
    ) {
        declaration.push_str(eol);
    }
    let edits = vec![
        Edit::insert(at, declaration),
        Edit::replace(TextRange::of(sleep.call), wait),
    ];
    let mut fix = Fix::refactor("Replace sleep with event wait", edits);
    if !binds_module(ctx, module) {
        fix = fix.with_import(module);
    }
    Some(fix)
}

/// The nearest test around the sleep (the function itself included), else the unit's
/// top-level function: where the event is declared.
fn enclosing_scope<'a, 't>(ctx: &FunctionContext<'a, 't>) -> &'a Function<'t> {
    if ctx.function.is_test() {
        return ctx.function;
    }
    ctx.ancestors()
        .find(|f| f.is_test())
        .unwrap_or_else(|| ctx.unit.root())
}

/// The statement directly in `body` that holds `node`.
fn statement_in<'t>(body: Node<'t>, node: Node<'t>) -> Option<Node<'t>> {
    let mut current = node;
    loop {
        let parent = current.parent()?;
        if parent == body {
            return is_statement(kind(current)).then_some(current);
        }
        current = parent;
    }
}

/// Where the declaration goes: the start of the statement's line, above the comment lines
/// directly over it (they belong to the statement), but below the enclosing `def` line.
fn group_start(ctx: &FunctionContext, enclosing: &Function, statement: Node) -> usize {
    let source = ctx.source();
    let lines = &ctx.file.lines;
    let floor = enclosing
        .body
        .and_then(|body| header_colon_end(enclosing.node, body))
        .map_or(0, |colon| lines.line_of(colon) + 1);
    let mut line = lines.line_of(statement.start_byte());
    while line > floor {
        let above = lines.line_range(line - 1, source);
        let text = source.get(above.as_range()).unwrap_or("").trim_start();
        if !text.starts_with('#') {
            break;
        }
        line -= 1;
    }
    lines.line_start(line)
}

/// `<function>_event` for sleeps in a nested function, `event` for sleeps in the enclosing
/// function itself; numbered when the name is taken or several sleeps of the function need
/// one each.
fn event_names(ctx: &FunctionContext, enclosing: &Function, count: usize) -> Vec<String> {
    let base = if ctx.function.index == enclosing.index {
        "event".to_string()
    } else {
        format!("{}_event", ctx.function.name)
    };
    // A name is taken when an identifier of the enclosing function, or of a function nested
    // in it, spells it (function names included: they are identifiers too).
    let in_scope = |owner: usize| {
        let mut current = Some(owner);
        while let Some(index) = current {
            if index == enclosing.index {
                return true;
            }
            current = ctx.unit.functions.get(index).and_then(|f| f.parent);
        }
        false
    };
    let taken = |candidate: &str| {
        ctx.unit
            .identifiers_named(candidate)
            .any(|(owner, _)| in_scope(owner))
    };
    let mut names: Vec<String> = Vec::with_capacity(count);
    let mut number = 1;
    while names.len() < count {
        let candidate = if number == 1 {
            base.clone()
        } else {
            format!("{base}_{number}")
        };
        if !taken(&candidate) {
            names.push(candidate);
        }
        number += 1;
    }
    names
}

/// Whether `module` is bound as a name here (module import or a local one).
fn binds_module(ctx: &FunctionContext, module: &str) -> bool {
    ctx.file.imports.get(module).is_some()
        || std::iter::once(ctx.function)
            .chain(ctx.ancestors())
            .any(|f| f.local_imports.get(module).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_delays() {
        for zero in ["0", "0.0", "0.", "0e0", "0x0", "0_0", "00"] {
            assert!(is_literal_zero(zero), "{zero}");
        }
        for not_zero in ["1", "0.1", ".5", "1e-3", "0x10"] {
            assert!(!is_literal_zero(not_zero), "{not_zero}");
        }
    }
}
