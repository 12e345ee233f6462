use tree_sitter::Node;

use crate::Applicability;
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::mocking::{PatchApi, PatchCall, find_patch, short_target};
use crate::model::call_arguments;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, ModuleContext, Rule, Severity};
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::PatchWithoutAutospec,
    code: "TQ401",
    name: "patch-without-autospec",
    category: Category::Mocking,
    default_enabled: true,
    severity: Severity::Warning,
    fix: Some(Applicability::Unsafe),
    summary: "`mock.patch`, `mock.patch.object`, `mock.patch.multiple`, `mocker.patch*`, `fixtures.MockPatch`, `fixtures.MockPatchObject` with none of `autospec`, `spec`, `spec_set`, `new`, `new_callable`, `wraps`",
    doc: r#"
### What it flags
A patch that puts a bare `MagicMock` in place of its target: `mock.patch`, `mock.patch.object`,
`mock.patch.multiple`, pytest-mock's `mocker.patch*`, `fixtures.MockPatch` and
`fixtures.MockPatchObject` — as a call, a decorator (on a test or on a class) or a context
manager — with none of `autospec`, `spec`, `spec_set`, `new`, `new_callable` or `wraps`.
A replacement passed positionally counts as `new` (`mock.patch(target, new)`,
`mock.patch.object(target, attr, new)`, `fixtures.MockPatch(target, new)`,
`fixtures.MockPatchObject(obj, attr, new)`).

### Why it matters
A bare mock accepts any call with any arguments and has every attribute. When the real
function's signature changes, or the code under test calls it wrongly, the test keeps passing:
it checks the code against a double that agrees with everything. `autospec=True` makes the mock
take the target's signature and attributes, so a wrong call fails the test as it would fail in
production. Misspelled assertion methods on such a mock fail too, instead of passing silently.

### Example
```python
@mock.patch.object(compute_api.API, 'get')
def test_show(self, mock_get):
    ...
```

### Use instead
```python
@mock.patch.object(compute_api.API, 'get', autospec=True)
def test_show(self, mock_get):
    ...
```

### Fix
Unsafe: adds `autospec=True`. It can change what the test sees: a method patched on a class
then records `self` as its first argument, so `assert_called_once_with(...)` calls may need the
instance (or `mock.ANY`) added; and a call that does not match the real signature now raises.

### Known limits
A call that passes `*args` or `**kwargs` may carry a spec and is not flagged, nor is a patch
with `create=True` (the target may not exist, so there is nothing to take a spec from).
`mock.patch.dict` patches a mapping, not a callable, and is out of scope; so is
`mock.patch.multiple` when every replacement is given explicitly.
"#,
    function_check: Some(check_function),
    module_check: Some(check_module),
    file_check: None,
};

/// The arguments that give the mock a shape, or replace it.
const SHAPING: &[&str] = &["autospec", "spec", "spec_set", "new", "new_callable", "wraps"];

fn check_function(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    for call in ctx.function.nodes(Kind::Call) {
        check_call(ctx.source(), *call, |n| ctx.resolve(n), out);
    }
}

/// Class decorators (`@mock.patch(...)` on a `TestCase`) and patches at module or class level.
fn check_module(ctx: &ModuleContext, out: &mut Vec<Diagnostic>) {
    let file = ctx.file;
    let mut calls: Vec<Node> = Vec::new();
    for decorator in &file.class_decorators {
        if let Some(expression) = decorator.named_child(0)
            && kind(expression) == Kind::Call
        {
            calls.push(expression);
        }
    }
    for statement in &file.module_statements {
        if kind(*statement) != Kind::ExpressionStatement {
            continue;
        }
        // Simple statements only: compound ones have their blocks listed on their own.
        let mut stack = vec![*statement];
        while let Some(node) = stack.pop() {
            if matches!(kind(node), Kind::Lambda) {
                continue;
            }
            if kind(node) == Kind::Call {
                calls.push(node);
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
    }
    for call in calls {
        check_call(file.source, call, |n| file.resolve(n), out);
    }
}

fn check_call(
    source: &str,
    call: Node,
    resolve: impl Fn(Node) -> Option<String>,
    out: &mut Vec<Diagnostic>,
) {
    let Some(patch) = find_patch(source, call, &resolve) else {
        return;
    };
    if !lacks_spec(source, &patch, &resolve) {
        return;
    }
    let what = match patch.target() {
        Some(target) => format!("`{}` of `{}`", patch.callee, short_target(&target)),
        None => format!("`{}`", patch.callee),
    };
    let message = format!(
        "{what} has no `autospec`: the mock accepts any call, so a wrong signature goes unnoticed"
    );
    let fix = call_arguments(call).last().map(|last| {
        Fix::unsafe_edit(
            "Add `autospec=True`",
            vec![Edit::insert(last.end_byte(), ", autospec=True")],
        )
    });
    out.push(
        Diagnostic::new(RuleId::PatchWithoutAutospec, TextRange::of(call), message)
            .with_optional_fix(fix),
    );
}

/// Whether the patch leaves a bare `MagicMock` in place of its target.
fn lacks_spec(source: &str, patch: &PatchCall, resolve: &impl Fn(Node) -> Option<String>) -> bool {
    if !patch.api.creates_mock() || patch.has_splat || patch.positional.is_empty() {
        return false;
    }
    if patch.has_keyword(SHAPING) {
        return false;
    }
    if patch
        .keyword("create")
        .is_some_and(|v| source.get(v.byte_range()) == Some("True"))
    {
        return false;
    }
    let is_default = |node: Node| resolve(node).as_deref() == Some("unittest.mock.DEFAULT");
    // The positional slots after the target: `new` first (except for `multiple`), then `spec`.
    let first_after_target = match patch.api {
        PatchApi::Patch | PatchApi::MockPatch => 1,
        PatchApi::PatchObject | PatchApi::MockPatchObject => 2,
        PatchApi::PatchMultiple => {
            if patch.positional.len() > 1 {
                return false;
            }
            // Only the attributes left to `DEFAULT` become bare mocks.
            return call_arguments(patch.call).iter().any(|arg| {
                kind(*arg) == Kind::KeywordArgument
                    && field(*arg, Field::Value).is_some_and(is_default)
            });
        }
        _ => return false,
    };
    match patch.positional.len().saturating_sub(first_after_target) {
        0 => true,
        1 => patch.positional.last().is_some_and(|new| is_default(*new)),
        _ => false,
    }
}
