use std::collections::HashSet;

use crate::Applicability;
use crate::diagnostic::Diagnostic;
use crate::model::{ClassKind, FunctionKind, SetupKind};
use crate::registry::RuleId;
use crate::rule::{Category, FileContext, Rule, Severity};
use crate::summary::SelfWrite;
use crate::workspace::{FileClasses, MethodLookup, Mro};

pub const RULE: Rule = Rule {
    id: RuleId::GeneralFixture,
    code: "TQ701",
    name: "general-fixture",
    category: Category::Fixtures,
    default_enabled: true,
    severity: Severity::Info,
    fix: None::<Applicability>,
    summary: "an attribute set in `setUp`/`setUpClass` that no test of the class uses, directly or through helpers",
    doc: r#"
### What it flags
An attribute assigned in `setUp`, `asyncSetUp` or `setUpClass` (`self.glance = ...`) that
nothing of the class ever reads: not a test, not a helper a test calls (followed transitively,
including helpers inherited from base classes and mixins in other files of the workspace), not
the setup or teardown code itself. The finding is on the assignment.

### Why it matters
A general fixture sets up more than the tests need. Every reader has to wonder what the
attribute is for, every test pays for building it, and when a test fails the unused setup is
one more place to look. When the value is a fixture installed with `self.useFixture(...)`, the
fixture may well be needed for its effect (a stubbed service) — only the binding is not.

### Example
```python
def setUp(self):
    super().setUp()
    self.neutron = self.useFixture(nova_fixtures.NeutronFixture(self))
    self.glance = self.useFixture(nova_fixtures.GlanceFixture(self))

def test_boot(self):
    self._create_server(networks=[{"port": self.neutron.port_1["id"]}])
```

### Use instead
```python
def setUp(self):
    super().setUp()
    self.neutron = self.useFixture(nova_fixtures.NeutronFixture(self))
    self.useFixture(nova_fixtures.GlanceFixture(self))
```

### Fix
None: decide whether the setup is needed at all, or only its effect.

### Known limits
Silent for a class that is subclassed (in its file or anywhere under its source root), that
looks like a base or a mixin (no tests, a name with `Base` or `Mixin`, or starting with `_`),
whose bases cannot all be resolved, or whose reachable code hands `self` to something that may
read any attribute (`helpers.check(self)`, `getattr(self, name)`): the attribute may be used
where Proctor cannot see. An attribute whose name is read on any object by a module function,
a class that is not a test, or a nested function of the file (`self.inst.force` in a fake
that keeps the test case) counts as used.
"#,
    function_check: None,
    module_check: None,
    file_check: Some(check),
};

fn check(ctx: &FileContext, out: &mut Vec<Diagnostic>) {
    let mut classes: Option<FileClasses> = None;
    // Attributes read on other objects by code that may hold the test case under another name:
    // module functions, classes that are not tests, and functions nested anywhere.
    let read_elsewhere: HashSet<&str> = ctx
        .functions
        .iter()
        .filter(|f| {
            f.parent.is_some()
                || ctx
                    .file
                    .class(f.class)
                    .is_none_or(|c| !c.is_test_class() && c.kind != ClassKind::TestMixin)
        })
        .flat_map(|f| f.attribute_reads.iter().map(String::as_str))
        .collect();
    for class in &ctx.file.classes {
        if class.kind != ClassKind::TestCase || looks_like_base(&class.name) {
            continue;
        }
        // The setup methods of this class and what they assign.
        let writes: Vec<(&str, &SelfWrite)> = ctx
            .functions
            .iter()
            .filter(|f| f.class == Some(class.id) && f.parent.is_none())
            .filter(|f| {
                matches!(
                    f.kind,
                    FunctionKind::Setup(
                        SetupKind::SetUp | SetupKind::SetUpClass | SetupKind::AsyncSetUp
                    )
                )
            })
            .flat_map(|f| f.self_writes.iter().map(move |w| (f.name.as_str(), w)))
            .collect();
        if writes.is_empty() {
            continue;
        }
        let classes = classes.get_or_insert_with(|| FileClasses::new(ctx.workspace, ctx.file, ctx.functions));
        if classes.is_subclassed(class.id) != Some(false) {
            continue;
        }
        let mro = classes.mro(class.id);
        if !mro.is_complete() {
            continue;
        }
        let Some(reads) = reads_of_class(&mro) else {
            continue;
        };
        let mut reported: HashSet<&str> = HashSet::new();
        for (method, write) in writes {
            if reads.contains(write.name.as_str())
                || read_elsewhere.contains(write.name.as_str())
                || FRAMEWORK_ATTRIBUTES.contains(&write.name.as_str())
                || !reported.insert(write.name.as_str())
            {
                continue;
            }
            out.push(Diagnostic::new(
                RuleId::GeneralFixture,
                write.target,
                message(ctx, method, write),
            ));
        }
    }
}

/// Attributes the test frameworks read themselves (`self.maxDiff = None` in `setUp`).
const FRAMEWORK_ATTRIBUTES: &[&str] = &[
    "maxDiff",
    "longMessage",
    "failureException",
    "_testMethodName",
    "_testMethodDoc",
    "run_tests_with",
    "exception_handlers",
    "force_failure",
    "DEFAULT_TIMEOUT",
    "TIMEOUT_SCALING_FACTOR",
];

/// Names a base class or a mixin would have.
fn looks_like_base(name: &str) -> bool {
    name.starts_with('_') || name.contains("Base") || name.contains("Mixin") || name.contains("Abstract")
}

/// Every attribute the code of the class may read on `self`: the tests, the setup and teardown
/// methods, and everything they reach. `None` when that cannot be known: no test at all (a
/// base class in disguise), or something reached is unknown or hands `self` away.
fn reads_of_class(mro: &Mro) -> Option<HashSet<&str>> {
    let entry_points: Vec<&str> = mro
        .project_method_names()
        .into_iter()
        .filter(|name| {
            name.starts_with("test")
                || SetupKind::from_name(name, true).is_some()
                || *name == "__init__"
                || *name == "run"
        })
        .collect();
    if !entry_points.iter().any(|n| n.starts_with("test")) {
        return None;
    }
    let roots = entry_points.iter().filter_map(|name| match mro.lookup(name) {
        MethodLookup::Found(found) => Some(found),
        _ => None,
    });
    let reach = mro.reach(roots);
    if reach.unknown || reach.escapes {
        return None;
    }
    Some(
        reach
            .methods
            .iter()
            .flat_map(|m| m.facts.self_reads.iter().map(String::as_str))
            .collect(),
    )
}

fn message(ctx: &FileContext, method: &str, write: &SelfWrite) -> String {
    let value = write
        .value
        .and_then(|v| ctx.file.source.get(v.start..v.end))
        .unwrap_or("");
    let target = ctx
        .file
        .source
        .get(write.target.start..write.target.end)
        .unwrap_or(&write.name);
    let base = format!(
        "`{target}` is set up in `{method}` for every test, but no test of the class uses it"
    );
    let value = value.trim_start();
    let callee = value.split('(').next().unwrap_or("");
    let constructs = callee
        .rsplit('.')
        .next()
        .is_some_and(|last| last.starts_with(|c: char| c.is_ascii_uppercase()) || last == "object");
    if value.starts_with("self.useFixture(") || value.starts_with("cls.useFixture(") {
        format!("{base}: keep the fixture if its effect is needed, but drop the binding")
    } else if value.contains('(') && !(constructs && value.ends_with(')')) {
        format!("{base}: keep the call if its effect is needed, but drop the binding")
    } else {
        format!("{base}: drop it")
    }
}
