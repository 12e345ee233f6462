use tree_sitter::Node;

use crate::Applicability;
use crate::diagnostic::{Diagnostic, Fix};
use crate::fixes::{append_statement, insert_after_docstring};
use crate::model::{Class, ClassKind, FunctionKind, SetupKind};
use crate::registry::RuleId;
use crate::rule::{Category, FileContext, Rule, Severity};
use crate::summary::FunctionSummary;
use crate::syntax::{Field, Kind, field, kind};
use crate::workspace::{FileClasses, MethodLookup};

pub const RULE: Rule = Rule {
    id: RuleId::MissingSuperSetup,
    code: "TQ703",
    name: "missing-super-setup",
    category: Category::Fixtures,
    default_enabled: true,
    severity: Severity::Error,
    fix: Some(Applicability::Safe),
    summary: "`setUp`/`tearDown`/`setUpClass`/`tearDownClass`/`asyncSetUp` that does not call `super()` in a class whose base is not plain `unittest.TestCase`",
    doc: r#"
### What it flags
A `setUp`, `tearDown`, `setUpClass`, `tearDownClass` or `asyncSetUp` of a test class that never
calls the same method of its base class — neither `super().setUp()` (or
`super(Class, self).setUp()`) nor `Base.setUp(self)`, directly or through a helper of the class
— when the class derives from something other than plain `unittest.TestCase`: a project base
class, a mixin, testtools, oslotest, Django.

### Why it matters
The base class's setup is where shared fixtures, mocks, temporary directories, database
connections and timeouts come from; its teardown is where they go away. Skipping it fails in
confusing ways: testtools raises at run time ("TestCase.setUp was not called"), plain unittest
silently runs the test without the base's setup, and a skipped teardown leaks state into every
later test.

### Example
```python
class ServerTest(test.TestCase):
    def setUp(self):
        self.server = self.start_service("compute")
```

### Use instead
```python
class ServerTest(test.TestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start_service("compute")
```

### Fix
Safe: inserts `super().setUp()` (`super().setUpClass()`, `await super().asyncSetUp()`) as the
first statement, after the docstring; for `tearDown` and `tearDownClass` the call goes last
(before a final `return`), so the base class cleans up after the subclass, as usual.

### Known limits
A class whose bases are all plain `unittest.TestCase` is left alone (its setup does nothing).
When a helper the method calls is defined in a base class Proctor cannot read, the rule stays
silent.
"#,
    function_check: None,
    module_check: None,
    file_check: Some(check),
};

/// Bases whose setup and teardown do nothing.
const PLAIN_BASES: &[&str] = &[
    "unittest.TestCase",
    "unittest.case.TestCase",
    "unittest.IsolatedAsyncioTestCase",
    "unittest.async_case.IsolatedAsyncioTestCase",
];

fn check(ctx: &FileContext, out: &mut Vec<Diagnostic>) {
    let mut classes: Option<FileClasses> = None;
    for summary in ctx.functions {
        if summary.parent.is_some() {
            continue;
        }
        let FunctionKind::Setup(setup) = summary.kind else {
            continue;
        };
        if !matches!(
            setup,
            SetupKind::SetUp
                | SetupKind::TearDown
                | SetupKind::SetUpClass
                | SetupKind::TearDownClass
                | SetupKind::AsyncSetUp
        ) {
            continue;
        }
        let Some(class) = ctx.file.class(summary.class) else {
            continue;
        };
        if class.kind != ClassKind::TestCase || has_plain_bases(class) {
            continue;
        }
        if summary.super_calls.contains(&summary.name) {
            continue;
        }
        if !summary.self_calls.is_empty() {
            // A helper may call the base class's method for it.
            let classes = classes
                .get_or_insert_with(|| FileClasses::new(ctx.workspace, ctx.file, ctx.functions));
            let mro = classes.mro(class.id);
            let MethodLookup::Found(found) = mro.lookup(&summary.name) else {
                continue;
            };
            let reach = mro.reach([found]);
            if reach.unknown
                || reach
                    .methods
                    .iter()
                    .any(|m| m.facts.super_calls.contains(&summary.name))
            {
                continue;
            }
        }
        out.push(
            Diagnostic::new(
                RuleId::MissingSuperSetup,
                summary.name_range,
                message(summary, class, setup),
            )
            .with_optional_fix(fix(ctx, summary, setup)),
        );
    }
}

fn has_plain_bases(class: &Class) -> bool {
    !class.bases.is_empty()
        && class.bases.iter().all(|b| {
            b.resolved
                .as_deref()
                .is_some_and(|r| PLAIN_BASES.contains(&r))
        })
}

fn super_statement(summary: &FunctionSummary, setup: SetupKind) -> String {
    let call = format!("super().{}()", summary.name);
    if setup == SetupKind::AsyncSetUp {
        format!("await {call}")
    } else {
        call
    }
}

fn message(summary: &FunctionSummary, class: &Class, setup: SetupKind) -> String {
    let what = if setup.is_setup() { "setup" } else { "teardown" };
    format!(
        "`{}` of `{}` never calls `super().{}()`: the base class's {what} does not run (testtools raises; unittest silently skips it)",
        summary.name, class.name, summary.name
    )
}

fn fix(ctx: &FileContext, summary: &FunctionSummary, setup: SetupKind) -> Option<Fix> {
    let (definition, body) = definition_of(ctx, summary)?;
    let statement = super_statement(summary, setup);
    let edits = if setup.is_setup() {
        insert_after_docstring(ctx.file, definition, body, &statement)
    } else {
        append_statement(ctx.file, definition, body, &statement)
    };
    (!edits.is_empty()).then(|| Fix::safe(format!("Call `{statement}`"), edits))
}

/// The `def` of a summarised function and its body, found from its name in the tree.
fn definition_of<'t>(ctx: &FileContext<'_, 't>, summary: &FunctionSummary) -> Option<(Node<'t>, Node<'t>)> {
    let name = ctx
        .file
        .tree
        .root_node()
        .descendant_for_byte_range(summary.name_range.start, summary.name_range.end)?;
    let definition = name
        .parent()
        .filter(|d| kind(*d) == Kind::FunctionDefinition)?;
    let body = field(definition, Field::Body).filter(|b| kind(*b) == Kind::Block)?;
    Some((definition, body))
}
