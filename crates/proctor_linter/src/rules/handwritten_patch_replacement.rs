use crate::Applicability;
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::mocking::{PatchApi, PatchCall, find_patch, short_target};
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::syntax::{Kind, kind};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::HandwrittenPatchReplacement,
    code: "TQ402",
    name: "handwritten-patch-replacement",
    category: Category::Mocking,
    default_enabled: true,
    severity: Severity::Warning,
    fix: Some(Applicability::Unsafe),
    summary: "a patch whose `new` is a function or lambda written in the test",
    doc: r#"
### What it flags
A patch (`mock.patch`, `mock.patch.object`, `mocker.patch*`, `fixtures.MockPatch`,
`fixtures.MockPatchObject`) whose replacement — `new=` or the positional `new` — is a lambda or
a function defined in the test (or in the function around the patch): the "slow wrapper around
the original" pattern.

### Why it matters
A hand-written function in place of the target records nothing: the test cannot ask whether or
how it was called, and nothing checks that the code under test calls it with the real
signature. The reader has to read the wrapper to learn what the double does. A mock made with
`autospec=True` and the function as its `side_effect` behaves the same, keeps the real
signature, and records every call (`mock_drop.assert_called_once_with(...)`).

### Example
```python
def slow_drop(*args, **kwargs):
    time.sleep(1)
    return orig_drop(*args, **kwargs)

self.useFixture(fixtures.MockPatch(
    'nova.objects.instance.Instance.drop_migration_context', new=slow_drop))
```

### Use instead
```python
mock_drop = self.useFixture(fixtures.MockPatch(
    'nova.objects.instance.Instance.drop_migration_context',
    autospec=True, side_effect=slow_drop)).mock
...
mock_drop.assert_called_once()
```

### Fix
Unsafe: rewrites `new=f` as `autospec=True, side_effect=f` (a positional `new` the same way,
when it is the last positional argument). With `autospec=True` a method patched on a class
receives `self`, as the hand-written function did; but a call that does not match the real
signature now raises, and the patch now yields a mock where the test may have expected the
function. Not offered for a patch used as a decorator (without `new` it would pass the mock to
the test as an extra argument), nor when the call already has `autospec`, `spec`, `spec_set`,
`new_callable`, `side_effect`, `wraps` or `**kwargs`.

### Known limits
Only lambdas and functions defined in the enclosing functions are recognised; a module-level
function or a method used as `new` is not. `fixtures.MonkeyPatch` and `stub_out` take plain
replacements by design and are not flagged.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    for call in ctx.function.nodes(Kind::Call) {
        let Some(patch) = find_patch(ctx.source(), *call, |n| ctx.resolve(n)) else {
            continue;
        };
        if !patch.api.creates_mock() {
            continue;
        }
        let Some(new) = patch.explicit_new(|n| ctx.resolve(n)) else {
            continue;
        };
        let replacement = match kind(new.value) {
            Kind::Lambda => "a lambda".to_string(),
            Kind::Identifier if is_local_function(ctx, ctx.text(new.value)) => {
                format!("the hand-written `{}`", ctx.text(new.value))
            }
            _ => continue,
        };
        let target = patch
            .target()
            .map(|t| format!("`{}`", short_target(&t)))
            .unwrap_or_else(|| "its target".to_string());
        let message = format!(
            "`{}` replaces {target} with {replacement}: its calls are not recorded and its signature is not checked",
            patch.callee
        );
        let fix = side_effect_fix(ctx, &patch);
        out.push(
            Diagnostic::new(
                RuleId::HandwrittenPatchReplacement,
                TextRange::of(*call),
                message,
            )
            .with_optional_fix(fix),
        );
    }
}

/// Whether `name` is a function defined in this function or one around it.
fn is_local_function(ctx: &FunctionContext, name: &str) -> bool {
    std::iter::once(ctx.function)
        .chain(ctx.ancestors())
        .any(|scope| {
            scope.children.iter().any(|&child| {
                ctx.unit
                    .functions
                    .get(child)
                    .is_some_and(|f| f.name == name)
            })
        })
}

/// `new=f` → `autospec=True, side_effect=f`.
fn side_effect_fix(ctx: &FunctionContext, patch: &PatchCall) -> Option<Fix> {
    let new = patch.new?;
    // As a decorator, a patch without `new` passes its mock to the test as an extra argument:
    // the test's signature would have to change too.
    let decorates = patch.call.parent().is_some_and(|p| kind(p) == Kind::Decorator);
    if decorates
        || patch.has_splat
        || patch.has_keyword(&["autospec", "spec", "spec_set", "new_callable", "side_effect", "wraps"])
    {
        return None;
    }
    let replaced = match new.keyword {
        Some(keyword) => keyword,
        None => {
            // A positional `new` can become keywords only when nothing positional follows it.
            let last_slot = match patch.api {
                PatchApi::Patch | PatchApi::MockPatch => 2,
                PatchApi::PatchObject | PatchApi::MockPatchObject => 3,
                _ => return None,
            };
            if patch.positional.len() != last_slot {
                return None;
            }
            new.value
        }
    };
    Some(Fix::unsafe_edit(
        "Use `autospec=True, side_effect=...` instead of `new=...`",
        vec![Edit::replace(
            TextRange::of(replaced),
            format!("autospec=True, side_effect={}", ctx.text(new.value)),
        )],
    ))
}
