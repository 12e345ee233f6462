use crate::diagnostic::Diagnostic;
use crate::model::FunctionKind;
use crate::registry::RuleId;
use crate::rule::{Category, FileContext, Rule, Severity};
use crate::workspace::fixtures::{Requester, edit_distance, scope_for, takes_fixtures};
use crate::workspace::pytest_syntax::ModuleFixtures;

pub const RULE: Rule = Rule {
    id: RuleId::UnknownFixture,
    code: "TQ705",
    name: "unknown-fixture",
    category: Category::Fixtures,
    default_enabled: true,
    severity: Severity::Error,
    fix: None,
    summary: "a pytest test or fixture parameter that no fixture in scope provides",
    doc: r#"
### What it flags
A parameter of a pytest test or fixture that no fixture in scope provides. Proctor looks where
pytest looks, nearest first: fixture methods of the test's class and its bases, fixtures of
the module, every `conftest.py` from the module's folder up to the project root, pytest's
built-in fixtures (`tmp_path`, `monkeypatch`, `capsys`, `request`…), and the plugin fixtures
listed in the `known-fixtures` setting (pytest-mock's `mocker`, pytest-asyncio's and
pytest-django's common fixtures by default). Names supplied by `parametrize` marks on the
function, its class or the module (`pytestmark`), and arguments `mock.patch` decorators pass,
are not fixtures.

The project root is the configuration file's folder, else the nearest folder with a
`pyproject.toml`, `setup.cfg`, `setup.py` or `.git`, else the checked folder.

### Why it matters
pytest fails such a test at setup with `fixture 'x' not found`: usually a typo, a fixture
renamed or moved to a `conftest.py` the test cannot see, or a plugin that is not installed.
The editor tells you before the test run does.

### Example
```python
@pytest.fixture
def database():
    return Database()

def test_query(databse):
    assert databse.query("select 1")
```

### Use instead
```python
def test_query(database):
    assert database.query("select 1")
```

### Fix
None: the right fixture is for you to choose (the message suggests a close name when there is
one). If the fixture comes from a plugin, add it to `known-fixtures`:

```toml
[tool.proctor]
known-fixtures = ["httpserver"]
```

### Known limits
Proctor stays silent rather than guess when fixtures can come from places it cannot read: a
`conftest.py` (or the module) that declares `pytest_plugins` or star-imports a module, a
`pytest_generate_tests` hook in scope, a test class with a base class from another file, a
decorator it does not know on the function or class (hypothesis's `@given`, for example), or
a `parametrize` whose names are not literal. Names a module or `conftest.py` imports or binds
by assignment are taken as possible fixtures. Plugins enabled with `-p` or through
entry points must be listed in `known-fixtures`. A fixture in a `conftest.py` may request a
fixture that only a deeper `conftest.py` defines: that is accepted; one defined only in a test
module below is not seen.
"#,
    function_check: None,
    module_check: None,
    file_check: Some(check),
};

fn check(ctx: &FileContext, out: &mut Vec<Diagnostic>) {
    if !ctx.functions.iter().any(|s| takes_fixtures(ctx.file, s)) {
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
        if facts.opaque || !scope.is_complete(summary.class) {
            continue;
        }
        let parametrized = scope.parametrized(summary.class);
        for parameter in &facts.parameters {
            let name = parameter.name.as_str();
            if facts.parametrized.iter().any(|p| p == name) || parametrized.contains(&name) {
                continue;
            }
            let requester = match &facts.fixture {
                Some(spec) if spec.name == name => match summary.class {
                    Some(class) => Requester::ClassFixture(class),
                    None => Requester::ModuleFixture,
                },
                _ => Requester::Plain,
            };
            if scope.resolve(name, summary.class, requester).is_found() {
                continue;
            }
            if facts.fixture.is_some() && provided_below(ctx, &module, summary.class, name) {
                continue;
            }
            let what = if summary.kind == FunctionKind::Fixture {
                "Fixture"
            } else {
                "Test"
            };
            let mut message = if requester == Requester::Plain {
                format!(
                    "{what} `{}` requests fixture `{name}`, which no fixture in scope provides",
                    summary.name
                )
            } else {
                format!(
                    "Fixture `{name}` requests the fixture it overrides, but no outer fixture `{name}` exists"
                )
            };
            if let Some(suggestion) = closest(&scope.visible_names(summary.class), name) {
                message.push_str(&format!(" (did you mean `{suggestion}`?)"));
            }
            out.push(Diagnostic::new(
                RuleId::UnknownFixture,
                parameter.range,
                message,
            ));
        }
    }
}

/// A fixture's request may be served from below it: by a fixture of a class of the module
/// (for a module-level fixture) or, in a `conftest.py`, by a deeper `conftest.py`.
fn provided_below(
    ctx: &FileContext,
    module: &ModuleFixtures,
    class: Option<usize>,
    name: &str,
) -> bool {
    if class.is_none()
        && module
            .classes
            .iter()
            .any(|c| c.fixtures.iter().any(|f| f.name == name))
    {
        return true;
    }
    if !ctx.file.is_conftest {
        return false;
    }
    let Some(directory) = ctx.file.path.as_deref().and_then(std::path::Path::parent) else {
        return true;
    };
    ctx.workspace
        .fixtures()
        .conftests_below(directory)
        .iter()
        .any(|c| c.open || c.fixture(name).is_some() || c.may_provide(name))
}

/// The visible name closest to `name`, if it is close enough to be a likely typo.
fn closest<'a>(names: &[&'a str], name: &str) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    names
        .iter()
        .map(|candidate| (edit_distance(candidate, name), *candidate))
        .filter(|(distance, candidate)| *distance <= limit && *candidate != name)
        .min()
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_need_a_close_name() {
        assert_eq!(closest(&["database", "tmp_path"], "databse"), Some("database"));
        assert_eq!(closest(&["tmp_path"], "tmpdir_x"), None);
        assert_eq!(closest(&["db"], "dc"), Some("db"));
    }
}
