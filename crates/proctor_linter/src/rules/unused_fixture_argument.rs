use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::fixes::module_binding;
use crate::model::FunctionKind;
use crate::registry::RuleId;
use crate::rule::{Category, FileContext, Rule, Severity};
use crate::summary::FunctionSummary;
use crate::text::line_ending;
use crate::workspace::fixtures::{Requester, Resolution, scope_for, takes_fixtures};
use crate::workspace::pytest_syntax::{FixtureParameter, INERT_PLUGIN_FIXTURES, ModuleFixtures, PytestFacts};
use crate::Applicability;

pub const RULE: Rule = Rule {
    id: RuleId::UnusedFixtureArgument,
    code: "TQ704",
    name: "unused-fixture-argument",
    category: Category::Fixtures,
    default_enabled: true,
    severity: Severity::Info,
    fix: Some(Applicability::Safe),
    summary: "a pytest fixture requested as a parameter but never used in the body",
    doc: r#"
### What it flags
A pytest test that takes a fixture as a parameter but never uses the value in its body, and a
test or fixture that requests a built-in fixture that does nothing unless used (`tmp_path`,
`monkeypatch`, `request`, `mocker`…) and never uses it.

Parameters supplied by `parametrize` (on the function, its class or the module) are not
fixtures and are never flagged.

### Why it matters
A parameter says "this test uses this value". When the test only needs the fixture's side
effect (a database set up, a patch applied), `@pytest.mark.usefixtures` says so, and the
reader stops looking for where the value is used. A requested-but-unused `tmp_path` or
`monkeypatch` is simply left over.

### Example
```python
def test_create_user(db, client):
    response = client.post("/users", json={"name": "ada"})
    assert response.status_code == 201
```

### Use instead
```python
@pytest.mark.usefixtures("db")
def test_create_user(client):
    response = client.post("/users", json={"name": "ada"})
    assert response.status_code == 201
```

### Fix
Safe. For a test: removes the parameter and adds `@pytest.mark.usefixtures("db")` (or appends
the name to the test's existing `usefixtures` mark, and adds `import pytest` when the module
lacks it), so the fixture still runs. For a fixture that does nothing unless used
(`tmp_path`, `monkeypatch`, `request`, `mocker`…): removes the parameter.

### Known limits
A fixture that requests another fixture only for its side effect is not flagged: marks do not
apply to fixtures, so the parameter is the only way to say it. Nothing is reported for a
function under a decorator Proctor does not know, one that calls `locals()`, `vars()`, `eval`
or `exec`, or when a `pytest_generate_tests` hook in scope may parametrize the names. No fix
is offered when removing the parameter cleanly is not possible (a lone keyword-only
parameter, comments inside the parameter list).
"#,
    function_check: None,
    module_check: None,
    file_check: Some(check),
};

fn check(ctx: &FileContext, out: &mut Vec<Diagnostic>) {
    if !ctx.functions.iter().any(|s| {
        takes_fixtures(ctx.file, s)
            && s.pytest
                .as_ref()
                .is_some_and(|p| p.parameters.iter().any(|a| !a.used))
    }) {
        return;
    }
    let module = ModuleFixtures::from_file(ctx.file);
    let scope = scope_for(ctx, &module);
    if scope.chain.is_none() {
        return;
    }
    for summary in ctx.functions {
        if !takes_fixtures(ctx.file, summary) {
            continue;
        }
        let Some(facts) = &summary.pytest else {
            continue;
        };
        if facts.opaque || facts.dynamic || scope.generates_tests(summary.class) {
            continue;
        }
        let parametrized = scope.parametrized(summary.class);
        let is_fixture = summary.kind == FunctionKind::Fixture;
        for parameter in facts.parameters.iter().filter(|p| !p.used) {
            let name = parameter.name.as_str();
            if facts.parametrized.iter().chain(&facts.indirect).any(|p| p == name)
                || parametrized.contains(&name)
            {
                continue;
            }
            let requester = match &facts.fixture {
                Some(spec) if spec.name == name => match summary.class {
                    Some(class) => Requester::ClassFixture(class),
                    None => Requester::ModuleFixture,
                },
                _ => Requester::Plain,
            };
            if requester != Requester::Plain {
                // A fixture overriding the fixture of the same name it requests.
                continue;
            }
            let resolution = scope.resolve(name, summary.class, requester);
            let inert = match resolution {
                Resolution::Missing => continue,
                Resolution::Builtin(builtin) => builtin.inert,
                Resolution::Plugin => INERT_PLUGIN_FIXTURES.contains(&name),
                _ => false,
            };
            let what = if is_fixture { "Fixture" } else { "Test" };
            if inert {
                let fix = parameter.deletion.map(|deletion| {
                    Fix::safe(
                        format!("Remove the unused `{name}` parameter"),
                        vec![Edit::delete(deletion)],
                    )
                });
                out.push(
                    Diagnostic::new(
                        RuleId::UnusedFixtureArgument,
                        parameter.range,
                        format!(
                            "{what} `{}` requests `{name}` but never uses it",
                            summary.name
                        ),
                    )
                    .with_optional_fix(fix),
                );
            } else if !is_fixture {
                out.push(
                    Diagnostic::new(
                        RuleId::UnusedFixtureArgument,
                        parameter.range,
                        format!(
                            "Test `{}` requests fixture `{name}` only for its side effect: its value is never used",
                            summary.name
                        ),
                    )
                    .with_optional_fix(usefixtures_fix(ctx, summary, facts, parameter)),
                );
            }
        }
    }
}

/// Removes the parameter and requests the fixture with `@pytest.mark.usefixtures` instead.
fn usefixtures_fix(
    ctx: &FileContext,
    _summary: &FunctionSummary,
    facts: &PytestFacts,
    parameter: &FixtureParameter,
) -> Option<Fix> {
    let deletion = parameter.deletion?;
    let name = &parameter.name;
    let mut edits = Vec::new();
    let mut needs_import = false;
    match &facts.usefixtures_append {
        Some(append) => {
            let quote = append.quote;
            let text = if append.after_argument {
                format!(", {quote}{name}{quote}")
            } else {
                format!("{quote}{name}{quote}")
            };
            edits.push(Edit::insert(append.offset, text));
        }
        None => {
            let eol = line_ending(ctx.file.source);
            let binding = module_binding(ctx.file, "pytest");
            let pytest = binding.unwrap_or("pytest");
            needs_import = binding.is_none();
            edits.push(Edit::insert(
                facts.decorator_at,
                format!(
                    "{}@{pytest}.mark.usefixtures(\"{name}\"){eol}",
                    facts.indent
                ),
            ));
        }
    }
    edits.push(Edit::delete(deletion));
    let fix = Fix::safe(format!("Request `{name}` with `@pytest.mark.usefixtures`"), edits);
    Some(if needs_import { fix.with_import("pytest") } else { fix })
}
