use crate::diagnostic::Diagnostic;
use crate::model::{ClassId, FileModel};
use crate::registry::RuleId;
use crate::rule::{Category, FileContext, Rule, Severity};
use crate::summary::BodyShape;

pub const RULE: Rule = Rule {
    id: RuleId::EmptyTest,
    code: "TQ604",
    name: "empty-test",
    category: Category::Structure,
    default_enabled: true,
    severity: Severity::Warning,
    fix: None,
    summary: "a test whose body is only `pass`, `...` and/or a docstring",
    doc: r#"
### What it flags
A test whose body is nothing but `pass`, `...` and/or a docstring (comments do not count).

### Why it matters
An empty test always passes. In the report it looks exactly like a test that checks something,
so a placeholder written "for later", or a test emptied to switch it off, silently inflates the
suite. When an empty test overrides an inherited test to disable it, the run says the inherited
behaviour was tested and passed, when it was not run at all.

### Example
```python
class ServersTestV253(ServersTestV21):
    def test_servers_with_no_servers(self):
        # the separate 'servers' API has been removed, so skip this test
        pass
```

### Use instead
```python
class ServersTestV253(ServersTestV21):
    def test_servers_with_no_servers(self):
        self.skipTest("the separate 'servers' API was removed in 2.53")
```

Or write the test, or delete it.

A test skipped unconditionally or marked as an expected failure (`@unittest.skip(..)`,
`@pytest.mark.skip(..)`, `@pytest.mark.xfail`, `@unittest.expectedFailure`) is not flagged: the
run reports it as skipped or expected to fail, not as passed.

### Fix
None: only the author knows whether the test should be written, skipped or deleted.
"#,
    function_check: None,
    module_check: None,
    file_check: Some(check),
};

// A file check, not a function check: whether the test overrides another depends on the methods
// of other classes, which a unit's own text does not determine.
fn check(ctx: &FileContext, out: &mut Vec<Diagnostic>) {
    for summary in ctx.functions {
        // Skipped and expected-to-fail placeholders do not report as passed.
        if !summary.is_test() || summary.body != BodyShape::Empty || summary.skips {
            continue;
        }
        let message = match overridden_class(ctx.file, summary.class, &summary.name) {
            Some(base) => format!(
                "Test `{name}` is empty: it switches off `{base}.{name}` but still reports a pass; \
                 call `self.skipTest(...)` with the reason instead",
                name = summary.name,
            ),
            None => format!(
                "Test `{}` is empty: it passes without testing anything",
                summary.name
            ),
        };
        out.push(Diagnostic::new(RuleId::EmptyTest, summary.name_range, message));
    }
}

/// The name of the nearest base class of this file that defines a method `name` (the test the
/// empty one overrides).
fn overridden_class<'f>(file: &'f FileModel, class: Option<ClassId>, name: &str) -> Option<&'f str> {
    let start = file.class(class)?;
    let mut seen = vec![start.id];
    let mut queue: std::collections::VecDeque<ClassId> = std::collections::VecDeque::new();
    queue.push_back(start.id);
    while let Some(current) = queue.pop_front() {
        let Some(current) = file.classes.get(current) else {
            continue;
        };
        for base in &current.bases {
            let Some(parent) = file
                .classes
                .iter()
                .rev()
                .find(|c| c.parent.is_none() && c.name == base.text)
            else {
                continue;
            };
            if seen.contains(&parent.id) {
                continue;
            }
            if parent.method_names.iter().any(|m| m == name) {
                return Some(parent.name.as_str());
            }
            seen.push(parent.id);
            queue.push_back(parent.id);
        }
    }
    None
}
