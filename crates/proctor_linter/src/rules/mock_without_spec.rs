use crate::Applicability;
use crate::diagnostic::Diagnostic;
use crate::model::{has_dictionary_splat, keyword_argument, positional_arguments};
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::MockWithoutSpec,
    code: "TQ405",
    name: "mock-without-spec",
    category: Category::Mocking,
    default_enabled: false,
    severity: Severity::Info,
    fix: None::<Applicability>,
    summary: "`Mock()` / `MagicMock()` without `spec`/`spec_set`",
    doc: r#"
### What it flags
`Mock()`, `MagicMock()`, `AsyncMock()`, `NonCallableMock()` and `NonCallableMagicMock()` from
`unittest.mock` (or the `mock` backport, or pytest-mock's `mocker`) created without a spec: no
first positional argument, no `spec=` and no `spec_set=`.

### Why it matters
A mock without a spec accepts any attribute and any call. A typo in the test
(`mock_api.asert_called_once()`), or a renamed method in the code under test, goes unnoticed:
the test keeps passing against an interface that no longer exists.

### Example
```python
def test_notifies(self):
    notifier = mock.Mock()
    service = Service(notifier)
    service.delete("id")
    notifier.notify.assert_called_once_with("deleted", "id")
```

### Use instead
```python
def test_notifies(self):
    notifier = mock.Mock(spec=Notifier)
    ...
# or mock.create_autospec(Notifier, instance=True), or mock.patch(..., autospec=True)
```

### Fix
None: only you know which class the mock stands in for.

### Known limits
Off by default: plain mocks are idiomatic in many suites (Nova's creates thousands), and a
mock standing in for a callable or a data holder often needs no spec. Mocks created by
`mock.patch(...)` without `autospec=True` are not reported. Mocks that wrap a real object
(`wraps=`) are left alone.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

const MOCK_CLASSES: &[&str] = &[
    "Mock",
    "MagicMock",
    "AsyncMock",
    "NonCallableMock",
    "NonCallableMagicMock",
];

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let source = ctx.source();
    for call in ctx.function.nodes(Kind::Call) {
        let Some(class) = mock_class(ctx, *call) else {
            continue;
        };
        if !positional_arguments(*call).is_empty()
            || has_dictionary_splat(*call)
            || ["spec", "spec_set", "wraps"]
                .iter()
                .any(|k| keyword_argument(source, *call, k).is_some())
        {
            continue;
        }
        out.push(Diagnostic::new(
            RuleId::MockWithoutSpec,
            TextRange::of(*call),
            format!(
                "`{}` in {} has no `spec`: any attribute or call on it succeeds, so a typo or an interface change goes unnoticed",
                shown(ctx.text(*call), class),
                ctx.describe()
            ),
        ));
    }
}

/// The mock class a call creates, if it is one.
fn mock_class(ctx: &FunctionContext, call: tree_sitter::Node) -> Option<&'static str> {
    let callee = field(call, Field::Function)?;
    if let Some(path) = ctx.callee(call)
        && let Some(class) = path.strip_prefix("unittest.mock.")
    {
        return MOCK_CLASSES.iter().copied().find(|c| *c == class);
    }
    // pytest-mock: `mocker.MagicMock()`.
    if kind(callee) == Kind::Attribute
        && field(callee, Field::Object).is_some_and(|o| ctx.text(o) == "mocker")
        && let Some(attribute) = field(callee, Field::Attribute)
    {
        let name = ctx.text(attribute);
        return MOCK_CLASSES.iter().copied().find(|c| *c == name);
    }
    None
}

fn shown(text: &str, class: &str) -> String {
    if text.len() <= 60 && !text.contains('\n') {
        text.to_string()
    } else {
        format!("{class}(...)")
    }
}
