use tree_sitter::Node;

use crate::Applicability;
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::model::{ClassKind, FunctionKind, SetupKind, call_arguments, keyword_argument};
use crate::registry::RuleId;
use crate::rule::{Category, FileContext, FunctionContext, Rule, Severity};
use crate::summary::{FunctionSummary, Resource, ResourceKind};
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;
use crate::unit::Function;
use crate::workspace::{FileClasses, MethodLookup, MroEntry};

pub const RULE: Rule = Rule {
    id: RuleId::ResourceWithoutCleanup,
    code: "TQ702",
    name: "resource-without-cleanup",
    category: Category::Fixtures,
    default_enabled: true,
    severity: Severity::Warning,
    fix: Some(Applicability::Safe),
    summary: "`patcher.start()` without `stop`, `mkdtemp()`/`NamedTemporaryFile(delete=False)` without removal, `open()` outside `with`, a started `Thread`/`Process` never joined",
    doc: r#"
### What it flags
In test code, a resource acquired and never released:

- `patcher.start()` of a `mock.patch(...)` with no `patcher.stop()`, no
  `addCleanup(patcher.stop)` and no `mock.patch.stopall`;
- `tempfile.mkdtemp()` whose directory is never removed (`shutil.rmtree`, `addCleanup`), and
  `tempfile.NamedTemporaryFile(delete=False)` whose file is never removed;
- `open(...)` outside a `with`, never closed;
- a `threading.Thread` or `multiprocessing.Process` started and never joined.

### Why it matters
A patch that is never stopped stays active for every test that runs after this one in the same
process; those tests then pass or fail depending on the order they run in. Temporary files and
directories pile up on every run (and on CI machines). An unclosed file holds a descriptor until
the garbage collector runs. A thread that is never joined can still be running — and failing,
or touching shared state — while later tests run.

### Example
```python
def setUp(self):
    super().setUp()
    patcher = mock.patch("nova.compute.api.API.get")
    self.mock_get = patcher.start()
```

### Use instead
```python
def setUp(self):
    super().setUp()
    patcher = mock.patch("nova.compute.api.API.get")
    self.mock_get = patcher.start()
    self.addCleanup(patcher.stop)
```

Or `self.useFixture(fixtures.MockPatch(...))`, `with` blocks, pytest's `tmp_path`,
`self.addCleanup(shutil.rmtree, path)`, `thread.join(timeout=...)`.

### Fix
Safe, for `patcher.start()` in `setUp` of a `TestCase` when the patcher has a name: adds
`self.addCleanup(<patcher>.stop)` on the line after. Elsewhere: none.

### Known limits
Test classes whose setup stops every patch and removes temporary files for them are left
alone: oslotest's `BaseTestCase` (it registers `mock.patch.stopall` and installs
`fixtures.NestedTempfile`), and any class whose `setUp` chain mentions `mock.patch.stopall` or
installs `NestedTempfile`; when a base class cannot be read, patches and temporary files are not
reported. A resource handed to other code (returned, passed to a call, stored in a list) is
assumed to be released there; one kept on `self` is assumed to be released by another method
that uses it.
"#,
    function_check: None,
    module_check: None,
    file_check: Some(check),
};

// --- What each function acquires (computed with its summary) ----------------------------------

/// Methods that use a resource without handing it to other code.
const PLAIN_USES: &[&str] = &[
    "start", "stop", "join", "close", "is_alive", "daemon", "name", "ident", "pid", "exitcode",
    "terminate", "kill", "new", "target", "attribute", "read", "readline", "readlines", "write",
    "writelines", "seek", "tell", "flush", "fileno", "closed", "mode", "encoding", "truncate",
];

/// The resources a function acquires in its own body and does not release (nor hand over).
pub fn resources(ctx: &FunctionContext) -> Vec<Resource> {
    let function = ctx.function;
    let unit: Vec<&Function> = ctx.unit.functions.iter().collect();
    let mut out = Vec::new();
    let stops_all = unit.iter().any(|f| {
        f.nodes(Kind::Attribute)
            .iter()
            .any(|a| field(*a, Field::Attribute).is_some_and(|n| ctx.text(n) == "stopall"))
    });
    let open_is_patched = {
        let text = ctx.text(ctx.unit.node.outer);
        text.contains("mock_open")
            || text.contains("builtins.open")
            || text.contains("'open'")
            || text.contains("\"open\"")
    };
    for call in function.nodes(Kind::Call) {
        let Some(callee) = field(*call, Field::Function) else {
            continue;
        };
        // `X.start()`: a patcher, a thread or a process.
        if kind(callee) == Kind::Attribute
            && field(callee, Field::Attribute).is_some_and(|a| ctx.text(a) == "start")
            && let Some(receiver) = field(callee, Field::Object)
        {
            let (resource_kind, handle) = match kind(receiver) {
                Kind::Call => match constructed_kind(ctx, receiver) {
                    Some(k) => (k, None),
                    None => continue,
                },
                Kind::Identifier | Kind::Attribute => {
                    match assigned_kind(ctx, ctx.text(receiver)) {
                        Some(k) => (k, Some(ctx.text(receiver).to_string())),
                        None => continue,
                    }
                }
                _ => continue,
            };
            let released = match (resource_kind, &handle) {
                (ResourceKind::Patcher, _) if stops_all => true,
                (ResourceKind::Patcher, Some(h)) => {
                    mentions_attribute(ctx, &unit, h, "stop") || escapes(ctx, &unit, h)
                }
                (_, Some(h)) => mentions_attribute(ctx, &unit, h, "join") || escapes(ctx, &unit, h),
                (_, None) => false,
            };
            if !released {
                out.push(resource(ctx, *call, resource_kind, handle));
            }
            continue;
        }
        let callee_path = ctx.callee(*call);
        match callee_path.as_deref() {
            Some("tempfile.mkdtemp") => {
                let handle = bound_name(ctx, *call);
                if !temp_removed(ctx, &unit, *call, handle.as_deref()) {
                    out.push(resource(ctx, *call, ResourceKind::TempDirectory, handle));
                }
            }
            Some("tempfile.NamedTemporaryFile") => {
                let keeps = keyword_argument(ctx.source(), *call, "delete")
                    .is_some_and(|d| kind(d) == Kind::False);
                if !keeps {
                    continue;
                }
                let handle = bound_name(ctx, *call);
                if !temp_removed(ctx, &unit, *call, handle.as_deref()) {
                    out.push(resource(ctx, *call, ResourceKind::TempFile, handle));
                }
            }
            _ => {
                if !open_is_patched && is_open(ctx, *call) && !in_with_item(*call) {
                    let handle = bound_name(ctx, *call);
                    let leaked = match &handle {
                        Some(h) => {
                            !mentions_attribute(ctx, &unit, h, "close")
                                && !file_handed_over(ctx, &unit, h)
                                && !used_in_with(ctx, &unit, h)
                        }
                        None => used_inline(ctx, *call),
                    };
                    if leaked {
                        out.push(resource(ctx, *call, ResourceKind::OpenFile, handle));
                    }
                }
            }
        }
    }
    out
}

fn resource(ctx: &FunctionContext, call: Node, kind_of: ResourceKind, handle: Option<String>) -> Resource {
    let text = ctx.text(call);
    let shown = if text.len() <= 60 && !text.contains('\n') {
        text.to_string()
    } else {
        let callee = field(call, Field::Function).map_or("", |c| ctx.text(c));
        if callee.len() <= 60 && !callee.contains('\n') {
            format!("{callee}(...)")
        } else {
            match kind_of {
                ResourceKind::Patcher => "mock.patch(...).start()".to_string(),
                _ => "...".to_string(),
            }
        }
    };
    let statement = enclosing_statement(call);
    let lines = &ctx.file.lines;
    let insert_at = statement.and_then(|s| {
        let next = lines.line_of(s.end_byte()) + 1;
        (next < lines.line_count()).then(|| lines.line_start(next))
    });
    let indent = statement
        .map(|s| crate::text::indentation_at(ctx.source(), lines, s.start_byte()).to_string())
        .unwrap_or_default();
    Resource {
        kind: kind_of,
        range: TextRange::of(call),
        shown,
        handle,
        insert_at,
        indent,
    }
}

/// The statement (a direct child of a block) that contains `node`.
fn enclosing_statement(node: Node) -> Option<Node> {
    let mut current = node;
    while let Some(parent) = current.parent() {
        if kind(parent) == Kind::Block {
            return Some(current);
        }
        if matches!(kind(parent), Kind::FunctionDefinition | Kind::Module) {
            return None;
        }
        current = parent;
    }
    None
}

fn is_patch_call(ctx: &FunctionContext, call: Node) -> bool {
    matches!(
        ctx.callee(call).as_deref(),
        Some(
            "unittest.mock.patch"
                | "unittest.mock.patch.object"
                | "unittest.mock.patch.dict"
                | "unittest.mock.patch.multiple"
        )
    )
}

fn constructed_kind(ctx: &FunctionContext, call: Node) -> Option<ResourceKind> {
    if is_patch_call(ctx, call) {
        return Some(ResourceKind::Patcher);
    }
    match ctx.callee(call).as_deref() {
        Some("threading.Thread") => Some(ResourceKind::Thread),
        Some("multiprocessing.Process") => Some(ResourceKind::Process),
        _ => None,
    }
}

/// The kind a name (or `self.` attribute) was assigned in the unit, when every assignment
/// agrees.
fn assigned_kind(ctx: &FunctionContext, name: &str) -> Option<ResourceKind> {
    let mut found = None;
    for function in &ctx.unit.functions {
        for assignment in function.nodes(Kind::Assignment) {
            if field(*assignment, Field::Left).is_none_or(|l| ctx.text(l) != name) {
                continue;
            }
            let value = field(*assignment, Field::Right)?;
            if kind(value) != Kind::Call {
                return None;
            }
            let scoped = FunctionContext { function, ..*ctx };
            let this = constructed_kind(&scoped, value)?;
            if found.is_some_and(|f| f != this) {
                return None;
            }
            found = Some(this);
        }
    }
    found
}

/// The name a call's result is bound to: `x = call(...)` or `with call(...) as x`.
fn bound_name(ctx: &FunctionContext, call: Node) -> Option<String> {
    let parent = call.parent()?;
    match kind(parent) {
        Kind::Assignment if field(parent, Field::Right) == Some(call) => {
            let left = field(parent, Field::Left)?;
            matches!(kind(left), Kind::Identifier | Kind::Attribute).then(|| ctx.text(left).to_string())
        }
        Kind::AsPattern => field(parent, Field::Alias).map(|a| ctx.text(a).to_string()),
        _ => None,
    }
}

/// Whether `handle.<attribute>` appears anywhere in the unit (`patcher.stop()`,
/// `self.addCleanup(patcher.stop)`).
fn mentions_attribute(ctx: &FunctionContext, unit: &[&Function], handle: &str, attribute: &str) -> bool {
    unit.iter().any(|f| {
        f.nodes(Kind::Attribute).iter().any(|a| {
            field(*a, Field::Attribute).is_some_and(|n| ctx.text(n) == attribute)
                && field(*a, Field::Object).is_some_and(|o| ctx.text(o) == handle)
        })
    })
}

/// Whether the handle is used other than through its own methods or as an assignment target:
/// returned, passed to a call, stored elsewhere — released by whoever receives it.
fn escapes(ctx: &FunctionContext, unit: &[&Function], handle: &str) -> bool {
    any_use(ctx, unit, handle, |node, parent| match kind(parent) {
        Kind::Attribute if field(parent, Field::Object) == Some(node) => {
            field(parent, Field::Attribute).is_none_or(|a| !PLAIN_USES.contains(&ctx.text(a)))
        }
        Kind::Assignment | Kind::AugmentedAssignment
            if field(parent, Field::Left) == Some(node) =>
        {
            false
        }
        // `self.p` as the object of `self.p.start` is the attribute node itself.
        Kind::Attribute => false,
        _ => true,
    })
}

/// Whether an open file is handed to something that owns it from then on: returned or
/// yielded, stored elsewhere, put in a container, or given to `closing`, `enter_context` or
/// `addCleanup`. Reading it (`json.load(handle)`) does not close it.
fn file_handed_over(ctx: &FunctionContext, unit: &[&Function], handle: &str) -> bool {
    any_use(ctx, unit, handle, |node, parent| match kind(parent) {
        Kind::ReturnStatement
        | Kind::Yield
        | Kind::List
        | Kind::Tuple
        | Kind::Set
        | Kind::Pair
        | Kind::ExpressionList => true,
        Kind::Assignment => field(parent, Field::Right) == Some(node),
        Kind::ArgumentList => parent.parent().is_some_and(|call| {
            field(call, Field::Function).is_some_and(|callee| {
                let text = ctx.text(callee);
                let last = text.rsplit('.').next().unwrap_or(text);
                matches!(last, "closing" | "enter_context" | "push" | "addCleanup" | "callback")
            })
        }),
        _ => false,
    })
}

/// Whether `test` holds for a place the unit names the handle (a name, or an attribute such
/// as `self.p`), given that node and its parent.
fn any_use(
    ctx: &FunctionContext,
    unit: &[&Function],
    handle: &str,
    test: impl Fn(Node, Node) -> bool,
) -> bool {
    let node_kind = if handle.contains('.') {
        Kind::Attribute
    } else {
        Kind::Identifier
    };
    unit.iter().any(|f| {
        f.nodes(node_kind).iter().any(|node| {
            ctx.text(*node) == handle && node.parent().is_some_and(|parent| test(*node, parent))
        })
    })
}

/// `with handle:` — the file is closed at the end of the block.
fn used_in_with(ctx: &FunctionContext, unit: &[&Function], handle: &str) -> bool {
    unit.iter().any(|f| {
        f.nodes(Kind::WithItem)
            .iter()
            .any(|item| field(*item, Field::Value).is_some_and(|v| ctx.text(v) == handle))
    })
}

/// Whether a temporary file or directory is removed (or handed back to the caller).
fn temp_removed(ctx: &FunctionContext, unit: &[&Function], call: Node, handle: Option<&str>) -> bool {
    let Some(handle) = handle else {
        // Used inline: only a `return`/`yield` of it hands it to someone who may remove it.
        return call.parent().is_some_and(|p| matches!(kind(p), Kind::ReturnStatement | Kind::Yield));
    };
    let mentions = |node: Node| crate::rules::sleep_polling_loop::contains_name(ctx.text(node), handle);
    unit.iter().any(|f| {
        f.nodes(Kind::Call).iter().any(|c| {
            let last = field(*c, Field::Function)
                .map(|callee| ctx.text(callee))
                .map(|t| t.rsplit('.').next().unwrap_or(t))
                .unwrap_or("");
            matches!(
                last,
                "rmtree" | "rmdir" | "remove" | "unlink" | "removedirs" | "addCleanup" | "cleanup"
            ) && call_arguments(*c).iter().any(|a| mentions(*a))
        }) || f.nodes(Kind::ReturnStatement).iter().any(|r| mentions(*r))
            || f.nodes(Kind::Yield).iter().any(|y| mentions(*y))
    })
}

/// The builtin `open` (not shadowed) or `io.open`.
fn is_open(ctx: &FunctionContext, call: Node) -> bool {
    let Some(callee) = field(call, Field::Function) else {
        return false;
    };
    if kind(callee) == Kind::Identifier && ctx.text(callee) == "open" {
        return ctx.resolve(callee).is_none()
            && !ctx.file.module_names.contains("open")
            && !std::iter::once(ctx.function).chain(ctx.ancestors()).any(|f| {
                f.parameter_list(ctx.source()).iter().any(|p| p.name == "open")
            });
    }
    ctx.callee(call).as_deref() == Some("io.open")
}

/// Whether the call is (inside) the context manager of a `with`.
fn in_with_item(call: Node) -> bool {
    let mut current = call;
    while let Some(parent) = current.parent() {
        match kind(parent) {
            Kind::WithItem => return true,
            Kind::Block | Kind::FunctionDefinition | Kind::Module => return false,
            _ => current = parent,
        }
    }
    false
}

/// An unbound `open(...)` whose file is read on the spot (`open(p).read()`,
/// `json.load(open(p))`): nothing ever closes it.
fn used_inline(ctx: &FunctionContext, call: Node) -> bool {
    let Some(parent) = call.parent() else {
        return false;
    };
    if kind(parent) == Kind::Attribute
        && field(parent, Field::Object) == Some(call)
        && parent.parent().is_some_and(|p| kind(p) == Kind::Call)
    {
        // `open(path, "a").close()` only touches the file.
        return field(parent, Field::Attribute).is_none_or(|a| ctx.text(a) != "close");
    }
    let Some(outer) = parent.parent().filter(|_| kind(parent) == Kind::ArgumentList) else {
        return false;
    };
    matches!(
        ctx.callee(outer).as_deref(),
        Some(
            "json.load"
                | "pickle.load"
                | "yaml.load"
                | "yaml.safe_load"
                | "csv.reader"
                | "csv.DictReader"
                | "csv.writer"
                | "csv.DictWriter"
        )
    )
}

// --- The file check -------------------------------------------------------------------------

/// What a test class's setup releases for every test.
#[derive(Clone, Copy, Default)]
struct AutoCleanup {
    patches: bool,
    temp_files: bool,
    /// The class's bases could not all be read: they may release anything.
    unknown: bool,
}

fn check(ctx: &FileContext, out: &mut Vec<Diagnostic>) {
    if ctx.functions.iter().all(|f| f.resources.is_empty()) {
        return;
    }
    let classes = ctx.classes();
    let mut cleanups: Vec<Option<AutoCleanup>> = vec![None; ctx.file.classes.len()];
    for summary in ctx.functions {
        if summary.resources.is_empty() {
            continue;
        }
        let class = ctx.file.class(summary.class);
        let auto = match class {
            Some(class) => *cleanups
                .get_mut(class.id)
                .map(|slot| slot.get_or_insert_with(|| auto_cleanup(classes, class.id)))
                .unwrap_or(&mut AutoCleanup::default()),
            None => AutoCleanup::default(),
        };
        for resource in &summary.resources {
            let covered = match resource.kind {
                ResourceKind::Patcher => auto.patches || auto.unknown,
                ResourceKind::TempDirectory | ResourceKind::TempFile => {
                    auto.temp_files || auto.unknown
                }
                ResourceKind::OpenFile => class.is_some_and(|c| class_decorators_mention(ctx, c, "open")),
                ResourceKind::Thread | ResourceKind::Process => false,
            };
            if covered || kept_for_another_method(ctx, summary, resource) {
                continue;
            }
            out.push(
                Diagnostic::new(
                    RuleId::ResourceWithoutCleanup,
                    resource.range,
                    message(summary, resource),
                )
                .with_optional_fix(fix(ctx, summary, resource)),
            );
        }
    }
}

/// What the setup of a class releases, from its bases and its `setUp` chain.
fn auto_cleanup(classes: &FileClasses, class: crate::model::ClassId) -> AutoCleanup {
    let mro = classes.mro(class);
    let mut auto = AutoCleanup {
        unknown: !mro.is_complete(),
        ..AutoCleanup::default()
    };
    if mro
        .entries
        .iter()
        .any(|e| matches!(e, MroEntry::Framework(f) if f.path == "oslotest.base.BaseTestCase"))
    {
        auto.patches = true;
        auto.temp_files = true;
    }
    let roots = ["setUp", "setUpClass", "asyncSetUp"]
        .into_iter()
        .filter_map(|name| match mro.lookup(name) {
            MethodLookup::Found(found) => Some(found),
            _ => None,
        });
    let reach = mro.reach(roots);
    auto.unknown |= reach.unknown;
    for method in &reach.methods {
        auto.patches |= method.facts.stops_all_patches;
        auto.temp_files |= method.facts.nests_temp_files;
    }
    auto
}

/// A resource kept on `self` that another method of the class uses (to stop, join or remove
/// it, presumably).
fn kept_for_another_method(ctx: &FileContext, summary: &FunctionSummary, resource: &Resource) -> bool {
    let Some(attribute) = resource
        .handle
        .as_deref()
        .and_then(|h| h.strip_prefix("self.").or_else(|| h.strip_prefix("cls.")))
    else {
        return false;
    };
    let Some(class) = summary.class else {
        return false;
    };
    ctx.functions.iter().any(|other| {
        other.class == Some(class)
            && other.parent.is_none()
            && other.name != summary.name
            && other.self_reads.iter().any(|r| r == attribute)
    })
}

fn class_decorators_mention(ctx: &FileContext, class: &crate::model::Class, needle: &str) -> bool {
    ctx.file
        .source
        .get(class.range.start..class.name_range.start)
        .is_some_and(|header| header.contains(needle))
}

fn message(summary: &FunctionSummary, resource: &Resource) -> String {
    let place = match summary.kind {
        FunctionKind::Test(_) => format!("test `{}`", summary.name),
        _ => format!("`{}`", summary.name),
    };
    let shown = &resource.shown;
    match resource.kind {
        ResourceKind::Patcher => format!(
            "`{shown}` in {place} is never stopped: the patch stays active for every later test in the run"
        ),
        ResourceKind::TempDirectory => format!(
            "`{shown}` in {place} creates a directory that is never removed: every run leaves it behind"
        ),
        ResourceKind::TempFile => format!(
            "`{shown}` in {place} creates a file that is never removed: every run leaves it behind"
        ),
        ResourceKind::OpenFile => format!(
            "`{shown}` in {place} is never closed: open files with `with open(...)` so they close when the block ends"
        ),
        ResourceKind::Thread => format!(
            "`{shown}` in {place} starts a thread that is never joined: it can outlive the test and interfere with later ones"
        ),
        ResourceKind::Process => format!(
            "`{shown}` in {place} starts a process that is never joined: it can outlive the test and interfere with later ones"
        ),
    }
}

/// `self.addCleanup(<patcher>.stop)` after a `patcher.start()` in `setUp` of a `TestCase`.
fn fix(ctx: &FileContext, summary: &FunctionSummary, resource: &Resource) -> Option<Fix> {
    if resource.kind != ResourceKind::Patcher
        || summary.kind != FunctionKind::Setup(SetupKind::SetUp)
        || summary.parent.is_some()
        || ctx.file.class(summary.class).is_none_or(|c| c.kind != ClassKind::TestCase)
    {
        return None;
    }
    let handle = resource.handle.as_deref()?;
    let at = resource.insert_at?;
    let eol = crate::text::line_ending(ctx.file.source);
    let statement = format!("self.addCleanup({handle}.stop)");
    Some(Fix::safe(
        format!("Add `{statement}`"),
        vec![Edit::insert(at, format!("{}{statement}{eol}", resource.indent))],
    ))
}
