use tree_sitter::Node;

use crate::Applicability;
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::model::{call_arguments, has_dictionary_splat, keyword_argument};
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::UnboundedWait,
    code: "TQ303",
    name: "unbounded-wait",
    category: Category::Timing,
    default_enabled: true,
    severity: Severity::Warning,
    fix: Some(Applicability::Unsafe),
    summary: "`Event.wait()`, `Thread.join()`, `Queue.get()`, `Future.result()`, `Process.join()`, `Popen.wait()/communicate()` without a timeout in test code",
    doc: r#"
### What it flags
A blocking wait without a timeout in test code, on an object Proctor knows the type of:
`wait()` on a `threading.Event`, `join()` on a `threading.Thread` or `multiprocessing.Process`,
`get()` on a `queue.Queue` (or `LifoQueue`, `PriorityQueue`, `SimpleQueue`,
`multiprocessing.Queue`), `result()` on a `concurrent.futures` (or `futurist`) future,
`wait()`/`communicate()` on a `subprocess.Popen`. The object must be created in the same
function (or the function around it) — `threading.Event()`, `executor.submit(...)` — or be
annotated with its type; a `get()` on anything else (a dict, say) is never reported.

### Why it matters
When the other side never comes — the event is never set, the thread deadlocks, the process
never exits — a wait without a timeout does not fail: it blocks forever, and the test run hangs
until CI kills it, with no hint of which test or what it was waiting for.

### Example
```python
def test_worker_signals(self):
    started = threading.Event()
    thread = threading.Thread(target=worker, args=(started,))
    thread.start()
    started.wait()
    thread.join()
```

### Use instead
```python
def test_worker_signals(self):
    started = threading.Event()
    thread = threading.Thread(target=worker, args=(started,))
    thread.start()
    self.assertTrue(started.wait(timeout=60), "the worker never started")
    thread.join(timeout=60)
    self.assertFalse(thread.is_alive(), "the worker never finished")
```

### Fix
Unsafe: adds `timeout=` with the configured default (`wait-timeout`, 60 seconds). Unsafe because
the call then behaves differently when the time runs out: `Event.wait` and `join` return
(`False`, or with the thread still alive) instead of blocking, `Queue.get` raises `queue.Empty`,
`Future.result` raises `TimeoutError`, `Popen.wait` raises `TimeoutExpired`. Assert on the
result where it matters, as above.

### Known limits
Objects kept on `self` and created in another method (`self.event = threading.Event()` in
`setUp`) are not followed. `asyncio` waits take no `timeout=` and are not reported; wrap them in
`asyncio.wait_for`.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

/// What kind of object a receiver is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Waitable {
    Event,
    Thread,
    Process,
    Queue,
    Future,
    Popen,
    /// A `concurrent.futures` executor: what its `submit` returns is a future.
    Executor,
}

fn constructed(callee: &str) -> Option<Waitable> {
    Some(match callee {
        "threading.Event" | "multiprocessing.Event" => Waitable::Event,
        "threading.Thread" => Waitable::Thread,
        "multiprocessing.Process" => Waitable::Process,
        "queue.Queue" | "queue.LifoQueue" | "queue.PriorityQueue" | "queue.SimpleQueue"
        | "multiprocessing.Queue" | "multiprocessing.JoinableQueue" => Waitable::Queue,
        "concurrent.futures.Future" => Waitable::Future,
        "subprocess.Popen" => Waitable::Popen,
        "concurrent.futures.ThreadPoolExecutor"
        | "concurrent.futures.ProcessPoolExecutor"
        | "futurist.ThreadPoolExecutor"
        | "futurist.ProcessPoolExecutor"
        | "futurist.GreenThreadPoolExecutor"
        | "futurist.SynchronousExecutor" => Waitable::Executor,
        _ => return None,
    })
}

/// The blocking method of each kind, where its timeout goes, and what never arriving means.
struct Wait {
    /// Positional index of the `timeout` parameter.
    timeout_position: usize,
    consequence: &'static str,
}

fn wait_of(waitable: Waitable, method: &str) -> Option<Wait> {
    let (position, consequence) = match (waitable, method) {
        (Waitable::Event, "wait") => (0, "if it is never set"),
        (Waitable::Thread, "join") => (0, "if the thread never finishes"),
        (Waitable::Process, "join") => (0, "if the process never finishes"),
        (Waitable::Queue, "get") => (1, "if nothing is ever put"),
        (Waitable::Future, "result") => (0, "if the work never completes"),
        (Waitable::Popen, "wait") => (0, "if the process never exits"),
        (Waitable::Popen, "communicate") => (1, "if the process never exits"),
        _ => return None,
    };
    Some(Wait {
        timeout_position: position,
        consequence,
    })
}

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    for call in ctx.function.nodes(Kind::Call) {
        let Some(callee) = field(*call, Field::Function).filter(|c| kind(*c) == Kind::Attribute)
        else {
            continue;
        };
        let (Some(receiver), Some(method)) = (
            field(callee, Field::Object),
            field(callee, Field::Attribute),
        ) else {
            continue;
        };
        let method = ctx.text(method);
        if !matches!(method, "wait" | "join" | "get" | "result" | "communicate") {
            continue;
        }
        let Some(waitable) = receiver_kind(ctx, receiver, 0) else {
            continue;
        };
        let Some(wait) = wait_of(waitable, method) else {
            continue;
        };
        if has_timeout(ctx, *call, &wait, waitable) {
            continue;
        }
        let seconds = ctx.settings.thresholds.wait_timeout;
        let fix = timeout_edit(ctx, *call, &wait, seconds)
            .map(|edit| Fix::unsafe_edit(format!("Add `timeout={seconds}`"), vec![edit]));
        out.push(
            Diagnostic::new(
                RuleId::UnboundedWait,
                TextRange::of(*call),
                format!(
                    "`{}` in {} waits without a timeout: {}, the test hangs instead of failing",
                    shown(ctx, *call, receiver, method),
                    ctx.describe(),
                    wait.consequence
                ),
            )
            .with_optional_fix(fix),
        );
    }
}

/// The call as the message shows it: as written when short and on one line.
fn shown(ctx: &FunctionContext, call: Node, receiver: Node, method: &str) -> String {
    let text = ctx.text(call);
    if text.len() <= 60 && !text.contains('\n') {
        text.to_string()
    } else {
        format!("{}.{method}(...)", ctx.text(receiver))
    }
}

/// The kind of a receiver (`event`, `self.thread`), from how it was created in this function
/// or the ones around it, or from its annotation. `None` unless every assignment agrees.
fn receiver_kind(ctx: &FunctionContext, receiver: Node, depth: usize) -> Option<Waitable> {
    if depth > 2 || !matches!(kind(receiver), Kind::Identifier | Kind::Attribute) {
        return None;
    }
    let name = ctx.text(receiver);
    // A call on the result directly: `threading.Event().wait()`.
    let mut found: Option<Waitable> = None;
    let mut agree = |kind: Option<Waitable>| -> bool {
        match (kind, found) {
            (None, _) => false,
            (Some(k), None) => {
                found = Some(k);
                true
            }
            (Some(k), Some(f)) => k == f,
        }
    };
    let mut any = false;
    for function in std::iter::once(ctx.function).chain(ctx.ancestors()) {
        let scoped = FunctionContext {
            function,
            ..*ctx
        };
        for assignment in function.nodes(Kind::Assignment) {
            let Some(left) = field(*assignment, Field::Left) else {
                continue;
            };
            if ctx.text(left) != name {
                continue;
            }
            any = true;
            let kind_of_value = field(*assignment, Field::Right)
                .and_then(|right| value_kind(&scoped, right, depth))
                .or_else(|| field(*assignment, Field::Type).and_then(|t| annotation_kind(&scoped, t)));
            if !agree(kind_of_value) {
                return None;
            }
        }
        for pattern in function.nodes(Kind::AsPattern) {
            let Some(target) = field(*pattern, Field::Alias) else {
                continue;
            };
            if ctx.text(target) != name {
                continue;
            }
            any = true;
            let value = pattern.named_child(0);
            if !agree(value.and_then(|v| value_kind(&scoped, v, depth))) {
                return None;
            }
        }
        // Loop variables and the like: an unknown binding.
        for statement in function.nodes(Kind::ForStatement) {
            if field(*statement, Field::Left).is_some_and(|l| ctx.text(l).split(',').any(|p| p.trim() == name)) {
                return None;
            }
        }
        for parameter in function.parameter_list(ctx.source()) {
            if parameter.name == name && kind(receiver) == Kind::Identifier {
                any = true;
                let annotated = if parameter.annotated {
                    field(parameter.whole, Field::Type).and_then(|t| annotation_kind(&scoped, t))
                } else {
                    None
                };
                if !agree(annotated) {
                    return None;
                }
            }
        }
    }
    if any { found } else { None }
}

/// The kind of a value: a constructor call, or `executor.submit(...)`.
fn value_kind(ctx: &FunctionContext, value: Node, depth: usize) -> Option<Waitable> {
    if kind(value) != Kind::Call {
        return None;
    }
    if let Some(kind_of) = ctx.callee(value).and_then(|c| constructed(&c)) {
        return Some(kind_of);
    }
    let callee = field(value, Field::Function).filter(|c| kind(*c) == Kind::Attribute)?;
    let method = field(callee, Field::Attribute)?;
    if ctx.text(method) == "submit" {
        let executor = field(callee, Field::Object)?;
        let executor_kind = if kind(executor) == Kind::Call {
            value_kind(ctx, executor, depth + 1)
        } else {
            receiver_kind(ctx, executor, depth + 1)
        };
        if executor_kind == Some(Waitable::Executor) {
            return Some(Waitable::Future);
        }
    }
    None
}

fn annotation_kind(ctx: &FunctionContext, annotation: Node) -> Option<Waitable> {
    let inner = if kind(annotation) == Kind::Type {
        annotation.named_child(0)?
    } else {
        annotation
    };
    ctx.resolve(inner).and_then(|path| constructed(&path))
}

/// Whether the call passes a timeout (or, for `Queue.get`, does not block).
fn has_timeout(ctx: &FunctionContext, call: Node, wait: &Wait, waitable: Waitable) -> bool {
    if has_dictionary_splat(call)
        || call_arguments(call)
            .iter()
            .any(|a| kind(*a) == Kind::ListSplat)
    {
        return true;
    }
    let source = ctx.source();
    if let Some(value) = keyword_argument(source, call, "timeout") {
        return kind(value) != Kind::None;
    }
    let positional = crate::model::positional_arguments(call);
    if waitable == Waitable::Queue {
        let block = keyword_argument(source, call, "block").or_else(|| positional.first().copied());
        if block.is_some_and(|b| matches!(kind(b), Kind::False) || ctx.text(b) == "0") {
            return true;
        }
    }
    positional
        .get(wait.timeout_position)
        .is_some_and(|t| kind(*t) != Kind::None)
}

/// The edit that adds the timeout: replaces a `None` timeout, or appends `timeout=<seconds>`.
fn timeout_edit(ctx: &FunctionContext, call: Node, wait: &Wait, seconds: u32) -> Option<Edit> {
    let source = ctx.source();
    if let Some(value) = keyword_argument(source, call, "timeout") {
        return Some(Edit::replace(TextRange::of(value), seconds.to_string()));
    }
    let positional = crate::model::positional_arguments(call);
    if let Some(value) = positional.get(wait.timeout_position) {
        // `timeout` is the last positional parameter of every method here, so nothing
        // positional can follow it.
        return Some(Edit::replace(
            TextRange::of(*value),
            format!("timeout={seconds}"),
        ));
    }
    let arguments = field(call, Field::Arguments).filter(|a| kind(*a) == Kind::ArgumentList)?;
    let close = arguments.child(arguments.child_count().checked_sub(1)?)?;
    if close.kind() != ")" {
        return None;
    }
    let mut cursor = arguments.walk();
    let children: Vec<Node> = arguments.children(&mut cursor).collect();
    let last = children
        .iter()
        .rev()
        .skip(1)
        .find(|c| !(c.is_named() && kind(**c) == Kind::Comment))?;
    let text = if last.kind() == "(" {
        format!("timeout={seconds}")
    } else if last.kind() == "," {
        format!(" timeout={seconds}")
    } else {
        format!(", timeout={seconds}")
    };
    Some(Edit::insert(last.end_byte(), text))
}
