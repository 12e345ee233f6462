use crate::diagnostic::Diagnostic;
use crate::fixes::{docstring_stub_fix, sentence_from_name};
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::text::TextRange;
use crate::Applicability;

pub const RULE: Rule = Rule {
    id: RuleId::MissingTestDocstring,
    code: "TQ101",
    name: "missing-test-docstring",
    category: Category::Docs,
    default_enabled: true,
    severity: Severity::Info,
    fix: Some(Applicability::Safe),
    summary: "a test without a docstring",
    doc: r#"
### What it flags
A test function or method without a docstring.

### Why it matters
A test's name says what it exercises; its docstring says what behaviour it protects and why
that matters. When a test fails months later, the docstring is what tells the reader whether
the test or the code is wrong. Test runners print it, too (`unittest -v` shows its first line).

### Example
```python
def test_evacuate_races_with_update_available_resource(self):
    server = self._create_server()
```

### Use instead
```python
def test_evacuate_races_with_update_available_resource(self):
    """Evacuation keeps its PCI claim when the periodic task overlaps it."""
    server = self._create_server()
```

### Fix
Safe: inserts a one-line docstring stub derived from the test's name
(`"""Evacuate races with update available resource."""`), correctly indented, as the first
statement. Rewrite the stub into the behaviour the test protects.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let function = ctx.function;
    if !function.is_test() || function.docstring.is_some() {
        return;
    }
    let fix = function
        .body
        .and_then(|body| docstring_stub_fix(ctx.file, function.node, body, &sentence_from_name(function.name)));
    out.push(
        Diagnostic::new(
            RuleId::MissingTestDocstring,
            TextRange::of(function.name_node),
            format!("Test `{}` has no docstring", function.name),
        )
        .with_optional_fix(fix),
    );
}
