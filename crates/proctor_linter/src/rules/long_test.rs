use crate::Applicability;
use crate::diagnostic::Diagnostic;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::LongTest,
    code: "TQ601",
    name: "long-test",
    category: Category::Structure,
    default_enabled: true,
    severity: Severity::Info,
    fix: None::<Applicability>,
    summary: "a test with more than 40 statements (nested statements counted, comments and docstrings not)",
    doc: r#"
### What it flags
A test with more statements than `max-test-statements` (default 40). Statements inside `if`,
`for`, `with` and `try` blocks count, and so do those of functions defined inside the test
(stubs handed to a patch); comments and docstrings do not.

### Why it matters
A long test is hard to read and harder to diagnose: when it fails, the reader must work out
which of its many steps broke and what it was meant to show. Length usually means the test
checks several behaviours, or buries the one it checks under setup that belongs in a helper or
a fixture.

### Example
```python
def test_server_lifecycle(self):
    # 60 statements: create, resize, confirm, migrate, evacuate, delete,
    # each followed by its checks
    ...
```

### Use instead
One test per behaviour, with the shared setup in `setUp`, fixtures or named helpers:

```python
def test_resize_confirms(self):
    server = self._create_server()
    self._resize(server, flavor=self.big_flavor)
    self._confirm_resize(server)
    self.assertFlavor(server, self.big_flavor)
```

### Fix
None: splitting a test is a design decision.

### Known limits
Counts statements, not lines: a single long call spread over many lines counts once. Set
`max-test-statements` in the configuration to change the limit.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let function = ctx.function;
    if !function.is_test() {
        return;
    }
    let own = |f: &crate::unit::Function| {
        f.statement_count
            .saturating_sub(usize::from(f.docstring.is_some()))
    };
    let count = own(function) + ctx.descendants().into_iter().map(own).sum::<usize>();
    let limit = ctx.settings.thresholds.max_test_statements;
    if count <= limit {
        return;
    }
    out.push(Diagnostic::new(
        RuleId::LongTest,
        TextRange::of(function.name_node),
        format!(
            "Test `{}` has {count} statements (more than {limit}): it is hard to see what it checks; split it by behaviour or move setup into helpers",
            function.name
        ),
    ));
}
