use crate::Applicability;
use crate::diagnostic::Diagnostic;
use crate::fixes::{docstring_stub_fix, sentence_from_name};
use crate::model::{Class, ClassKind};
use crate::registry::RuleId;
use crate::rule::{Category, ModuleContext, Rule, Severity};
use crate::syntax::{Field, field};
use crate::text::line_ending;
use crate::Fix;
use tree_sitter::Node;

pub const RULE: Rule = Rule {
    id: RuleId::MissingTestClassDocstring,
    code: "TQ102",
    name: "missing-test-class-docstring",
    category: Category::Docs,
    default_enabled: true,
    severity: Severity::Info,
    fix: Some(Applicability::Safe),
    summary: "a test class without a docstring",
    doc: r#"
### What it flags
A test class without a docstring: a `unittest.TestCase` subclass (directly, through a
`*TestCase`-style project base, or through another test class of the file), a pytest `Test*`
class, and a mixin that defines `test*` methods of its own (its tests run in every class that
inherits it).

### Why it matters
A test class groups tests around one subject or one scenario — a bug, a feature, a set-up that
the tests share. The docstring is where that subject is stated once, instead of being guessed
from the tests one by one. Regression classes in particular should say which bug they reproduce
and how.

### Example
```python
class TestEvacuateResourceTrackerRace(test.TestCase):
    def setUp(self):
        ...
```

### Use instead
```python
class TestEvacuateResourceTrackerRace(test.TestCase):
    """Evacuation racing the resource tracker's periodic task (bug #1896463)."""

    def setUp(self):
        ...
```

### Fix
Safe: inserts a one-line docstring stub derived from the class name
(`"""Evacuate resource tracker race."""`), indented like the class body, as its first
statement. Rewrite the stub into the subject the tests share.

### Known limits
Mixins without `test*` methods are helpers, not test classes, and are not reported. A pytest
`Test*` class with an `__init__` is not collected by pytest and is not reported either.
"#,
    function_check: None,
    module_check: Some(check),
    file_check: None,
};

/// Whether the class is one whose docstring this rule asks for.
pub fn wants_docstring(class: &Class) -> bool {
    match class.kind {
        ClassKind::TestCase => true,
        ClassKind::PytestClass => !class.has_init,
        ClassKind::TestMixin => class.method_names.iter().any(|m| m.starts_with("test")),
        ClassKind::Other => false,
    }
}

/// The docstring stub, followed by a blank line when code follows it directly (PEP 257).
fn class_docstring_fix(ctx: &ModuleContext, node: Node, name: &str) -> Option<Fix> {
    let body = field(node, Field::Body)?;
    let mut fix = docstring_stub_fix(ctx.file, node, body, &sentence_from_name(name))?;
    let source = ctx.file.source;
    if let [edit] = fix.edits.as_mut_slice()
        && edit.range.is_empty()
    {
        let lines = &ctx.file.lines;
        let next = lines.line_range(lines.line_of(edit.range.start), source);
        if !source[next.as_range()].trim().is_empty() {
            edit.content.push_str(line_ending(source));
        }
    }
    Some(fix)
}

fn check(ctx: &ModuleContext, out: &mut Vec<Diagnostic>) {
    for class in &ctx.file.classes {
        if class.docstring.is_some() || !wants_docstring(class) {
            continue;
        }
        let fix = ctx
            .file
            .class_node(class)
            .and_then(|node| class_docstring_fix(ctx, node, &class.name));
        let what = if class.kind == ClassKind::TestMixin {
            "Test mixin"
        } else {
            "Test class"
        };
        out.push(
            Diagnostic::new(
                RuleId::MissingTestClassDocstring,
                class.name_range,
                format!(
                    "{what} `{}` has no docstring saying what its tests have in common",
                    class.name
                ),
            )
            .with_optional_fix(fix),
        );
    }
}
