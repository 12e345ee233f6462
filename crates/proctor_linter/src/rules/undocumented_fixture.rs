use crate::Applicability;
use crate::diagnostic::Diagnostic;
use crate::fixes::{docstring_stub_fix, sentence_from_name};
use crate::model::FunctionKind;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::UndocumentedFixture,
    code: "TQ104",
    name: "undocumented-fixture",
    category: Category::Docs,
    default_enabled: true,
    severity: Severity::Info,
    fix: Some(Applicability::Safe),
    summary: "a pytest fixture without a docstring",
    doc: r#"
### What it flags
A pytest fixture (a function decorated with `@pytest.fixture`, `@pytest.fixture(...)`, a
`fixture` imported from pytest, or `@pytest_asyncio.fixture`) without a docstring.

### Why it matters
Fixtures are shared set-up that tests request by name, often from a `conftest.py` far from the
test. `pytest --fixtures` lists every fixture with its docstring — it is the only description a
test author gets when choosing one. An undocumented fixture shows up there with no
explanation of what it provides or what it cleans up.

### Example
```python
@pytest.fixture
def compute_with_pci():
    host = start_compute("host1", pci=True)
    yield host
    host.stop()
```

### Use instead
```python
@pytest.fixture
def compute_with_pci():
    """A started compute host with one PCI device; stopped after the test."""
    host = start_compute("host1", pci=True)
    yield host
    host.stop()
```

### Fix
Safe: inserts a one-line docstring stub derived from the fixture's name
(`"""Compute with pci."""`) as its first statement. Rewrite the stub into what the fixture
provides.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let function = ctx.function;
    if function.kind != FunctionKind::Fixture || function.docstring.is_some() {
        return;
    }
    let fix = function.body.and_then(|body| {
        docstring_stub_fix(
            ctx.file,
            function.node,
            body,
            &sentence_from_name(function.name),
        )
    });
    out.push(
        Diagnostic::new(
            RuleId::UndocumentedFixture,
            TextRange::of(function.name_node),
            format!(
                "Fixture `{}` has no docstring; `pytest --fixtures` lists it without a description",
                function.name
            ),
        )
        .with_optional_fix(fix),
    );
}
