use tree_sitter::Node;

use crate::Applicability;
use crate::diagnostic::Diagnostic;
use crate::model::{SetupKind, string_literal_value};
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::MonkeypatchByAssignment,
    code: "TQ404",
    name: "monkeypatch-by-assignment",
    category: Category::Mocking,
    default_enabled: true,
    severity: Severity::Warning,
    fix: None::<Applicability>,
    summary: "test code assigning to an attribute of an imported module or class without restoring it",
    doc: r#"
### What it flags
An assignment in test code to an attribute of an imported module or class, or of an object
reached through one — `time.time = fake`, `objects.Instance.save = fake`,
`cfg.CONF.debug = True` — when the same function does not restore it (assign it again, or
register a cleanup that does).

### Why it matters
Modules and classes live for the whole test run. A replacement assigned by hand stays in place
after the test ends, so every later test in the same process runs against the fake: tests pass
or fail depending on which ran before them, and the failure shows up far from its cause.

### Example
```python
def test_expiry(self):
    time.time = lambda: 1000.0
    self.assertTrue(token.is_expired())
```

### Use instead
A patch that undoes itself when the test ends:

```python
def test_expiry(self):
    with mock.patch.object(time, "time", return_value=1000.0):
        self.assertTrue(token.is_expired())

# testtools / oslotest:
    self.useFixture(fixtures.MonkeyPatch("time.time", lambda: 1000.0))

# pytest:
def test_expiry(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: 1000.0)
```

### Fix
None: pick the patching tool your framework offers.

### Known limits
Precision first: literal values (`module.CACHE = None`, `cfg.CONF.items = []`, usually resetting
state), mock configuration (`patched.return_value = ...` on a mock a patch installed),
attributes of lower-case attributes (`Driver._conn.lookup = ...`, often a fake installed by a
patch), assignments whose original was saved in the same function (`orig = time.time`), and
functions handed to `addCleanup` are not reported. An assignment in `setUp` (or `setUpClass`)
of a class that also defines a `tearDown`-family method is assumed to be restored there.
Restoring in a helper the function calls is not seen, nor is a base class in another file that
resets the attribute in its own `setUp` before every test (Nova's `TestCase.setUp` sets
`NovaObject.indirection_api = None`, so assigning it in a test leaks into no other test);
suppress such a finding with `# noqa: TQ404`.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let function = ctx.function;
    if let crate::model::FunctionKind::Setup(setup) = function.kind
        && setup.is_setup()
        && has_teardown(ctx)
    {
        return;
    }
    // Teardown puts things back.
    if let crate::model::FunctionKind::Setup(setup) = function.kind
        && !setup.is_setup()
    {
        return;
    }
    if is_registered_cleanup(ctx) {
        return;
    }
    let assignments = function.nodes(Kind::Assignment);
    for assignment in assignments {
        let Some(target) = field(*assignment, Field::Left) else {
            continue;
        };
        let Some(value) = field(*assignment, Field::Right) else {
            continue;
        };
        if kind(target) != Kind::Attribute || is_saved_original(ctx, value) || is_data(ctx.source(), value) {
            continue;
        }
        let Some(object) = field(target, Field::Object) else {
            continue;
        };
        if !is_module_or_class(ctx, object) {
            continue;
        }
        // Only names bound by an import: a module, or a class or object imported from one.
        let Some(path) = ctx.resolve(object) else {
            continue;
        };
        if rebound_locally(ctx, root_name(ctx, object)) {
            continue;
        }
        let target_text = ctx.text(target);
        let Some(attribute) = field(target, Field::Attribute).map(|a| ctx.text(a)) else {
            continue;
        };
        if MOCK_CONFIGURATION.contains(&attribute) {
            continue;
        }
        if restored(ctx, *assignment, target_text, object, attribute) {
            continue;
        }
        out.push(Diagnostic::new(
            RuleId::MonkeypatchByAssignment,
            TextRange::of(target),
            format!(
                "`{target_text}`{} is replaced by assignment in {} and never restored: every later test in the run sees the replacement",
                if path == ctx.text(object) {
                    String::new()
                } else {
                    format!(" (`{path}.{attribute}`)")
                },
                ctx.describe()
            ),
        ));
    }
}

/// Attributes that configure a mock (one installed by a patch that undoes itself) rather than
/// replace something.
const MOCK_CONFIGURATION: &[&str] = &[
    "return_value",
    "side_effect",
    "called",
    "call_count",
    "call_args",
    "call_args_list",
    "mock_calls",
    "method_calls",
];

/// A literal value: resetting a cache or a flag to a known state, not installing a fake.
fn is_data(source: &str, value: Node) -> bool {
    match kind(value) {
        Kind::None
        | Kind::True
        | Kind::False
        | Kind::Integer
        | Kind::Float
        | Kind::String
        | Kind::ConcatenatedString
        | Kind::List
        | Kind::Dictionary
        | Kind::Tuple
        | Kind::Set => true,
        Kind::UnaryOperator => value.named_child(0).is_some_and(|v| is_data(source, v)),
        // `set()`, `dict()`: an empty container.
        Kind::Call => {
            crate::model::call_arguments(value).is_empty()
                && field(value, Field::Function).is_some_and(|f| {
                    kind(f) == Kind::Identifier
                        && source
                            .get(f.byte_range())
                            .is_some_and(|name| matches!(name, "set" | "dict" | "list" | "tuple" | "frozenset"))
                })
        }
        _ => false,
    }
}

/// Whether the object assigned to is an imported name itself (a module, a class, an object
/// imported from a module), or reached from one through capitalised names (`objects.Instance`,
/// `cfg.CONF`). A lower-case attribute in between (`Driver._conn.lookup`) is an instance
/// attribute — often a fake a patch installed — and is left alone.
fn is_module_or_class(ctx: &FunctionContext, object: Node) -> bool {
    match kind(object) {
        Kind::Identifier => true,
        Kind::Attribute => field(object, Field::Attribute)
            .is_some_and(|a| ctx.text(a).starts_with(|c: char| c.is_ascii_uppercase())),
        _ => false,
    }
}

/// A function nested in another that hands it to `addCleanup`: it is the cleanup.
fn is_registered_cleanup(ctx: &FunctionContext) -> bool {
    let name = ctx.function.name;
    ctx.parent().is_some_and(|parent| {
        parent.nodes(Kind::Call).iter().any(|call| {
            field(*call, Field::Function).is_some_and(|callee| {
                let callee = ctx.text(callee);
                callee.rsplit('.').next() == Some("addCleanup")
            }) && crate::model::call_arguments(*call)
                .first()
                .is_some_and(|a| ctx.text(*a) == name)
        })
    })
}

/// Whether the class (or, for module setup, the module) defines a teardown that can restore
/// what setup replaced.
fn has_teardown(ctx: &FunctionContext) -> bool {
    match ctx.class() {
        Some(class) => class
            .method_names
            .iter()
            .any(|m| SetupKind::from_name(m, true).is_some_and(|k| !k.is_setup())),
        None => ctx
            .file
            .module_names
            .iter()
            .any(|m| SetupKind::from_name(m, false).is_some_and(|k| !k.is_setup())),
    }
}

/// `orig_save`, `self._original_time`, `saved`: a value kept to restore the attribute.
fn is_saved_original(ctx: &FunctionContext, value: Node) -> bool {
    matches!(kind(value), Kind::Identifier | Kind::Attribute) && {
        let text = ctx.text(value).to_ascii_lowercase();
        let last = text.rsplit('.').next().unwrap_or(&text);
        last.contains("orig") || last.contains("saved") || last.starts_with("old")
    }
}

/// The first name of an attribute chain (`objects` in `objects.Instance`).
fn root_name<'t>(ctx: &FunctionContext<'_, 't>, node: Node<'t>) -> &'t str {
    let mut current = node;
    while kind(current) == Kind::Attribute {
        match field(current, Field::Object) {
            Some(object) => current = object,
            None => break,
        }
    }
    ctx.text(current)
}

/// Whether `name` is bound in the function or one around it (a parameter, an assignment, a
/// loop or `with` target), shadowing the import.
fn rebound_locally(ctx: &FunctionContext, name: &str) -> bool {
    std::iter::once(ctx.function).chain(ctx.ancestors()).any(|function| {
        function
            .parameter_list(ctx.source())
            .iter()
            .any(|p| p.name == name)
            || function.nodes(Kind::Assignment).iter().any(|a| {
                field(*a, Field::Left).is_some_and(|left| {
                    crate::model::assigned_names(left)
                        .iter()
                        .any(|n| ctx.text(*n) == name)
                })
            })
            || function.nodes(Kind::ForStatement).iter().any(|f| {
                field(*f, Field::Left).is_some_and(|left| {
                    crate::model::assigned_names(left)
                        .iter()
                        .any(|n| ctx.text(*n) == name)
                })
            })
            || function.nodes(Kind::AsPatternTarget).iter().any(|t| ctx.text(*t) == name)
            || function
                .nodes(Kind::FunctionDefinition)
                .iter()
                .any(|d| field(*d, Field::Name).is_some_and(|n| ctx.text(n) == name))
    })
}

/// Whether the function puts the attribute back: another assignment to the same target, a
/// `setattr`/`addCleanup` naming it, or `del`.
fn restored(ctx: &FunctionContext, assignment: Node, target: &str, object: Node, attribute: &str) -> bool {
    let function = ctx.function;
    // Assigned again (restored), or its original saved (`orig = time.time`) to be restored by
    // a cleanup or a teardown.
    let other_assignment = function.nodes(Kind::Assignment).iter().any(|other| {
        *other != assignment
            && (field(*other, Field::Left).is_some_and(|l| ctx.text(l) == target)
                || field(*other, Field::Right).is_some_and(|r| ctx.text(r) == target))
    });
    if other_assignment {
        return true;
    }
    let object_text = ctx.text(object);
    // `setattr(time, "time", orig)`, `self.addCleanup(setattr, time, "time", orig)`.
    let names_it = |call: &Node| {
        let arguments = crate::model::call_arguments(*call);
        arguments.iter().any(|a| ctx.text(*a) == object_text)
            && arguments.iter().any(|a| {
                kind(*a) == Kind::String && string_literal_value(ctx.source(), *a) == Some(attribute)
            })
    };
    let by_call = function.nodes(Kind::Call).iter().any(|call| {
        let callee = field(*call, Field::Function).map(|c| ctx.text(c)).unwrap_or("");
        let last = callee.rsplit('.').next().unwrap_or(callee);
        (matches!(last, "setattr" | "addCleanup" | "enterContext") && names_it(call))
            || (last == "addCleanup" && ctx.text(*call).contains(target))
    });
    by_call
        || function
            .nodes(Kind::DeleteStatement)
            .iter()
            .any(|d| ctx.text(*d).contains(target))
}
