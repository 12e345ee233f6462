use crate::diagnostic::Diagnostic;
use crate::model::ClassKind;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::ConstructorInTestClass,
    code: "TQ607",
    name: "constructor-in-test-class",
    category: Category::Structure,
    default_enabled: true,
    severity: Severity::Warning,
    fix: None,
    summary: "a unittest test class defining `__init__`",
    doc: r#"
### What it flags
An `__init__` method in a `unittest.TestCase` subclass (testtools, oslotest and other
unittest-derived bases included).

### Why it matters
unittest builds one instance of the class per test method, at collection time, passing it the
method's name: `__init__` runs long before the test, for every test, whether it is selected or
not, and failures in it break collection instead of failing one test. Its signature is the
framework's (`methodName="runTest"`), so a constructor that forgets to accept and pass it on
breaks the class. State prepared there is shared by nothing and cleaned up by nothing.
`setUp` (per test) and `setUpClass` (once per class) are where preparation belongs, with
`addCleanup` for the undoing.

### Example
```python
class ServerTest(test.TestCase):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.flavor = make_flavor()
```

### Use instead
```python
class ServerTest(test.TestCase):
    def setUp(self):
        super().setUp()
        self.flavor = make_flavor()
```

### Fix
None: moving state between `__init__`, `setUp` and `setUpClass` changes when it is built.

### Known limits
pytest classes with `__init__` are not collected at all; that is `undiscoverable-test`'s
concern, not this rule's.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let function = ctx.function;
    // Only a method of the class itself, not a function nested in one.
    if function.parent.is_some() || function.name != "__init__" {
        return;
    }
    let Some(class) = ctx.class() else { return };
    if class.kind != ClassKind::TestCase {
        return;
    }
    out.push(Diagnostic::new(
        RuleId::ConstructorInTestClass,
        TextRange::of(function.name_node),
        format!(
            "`{}` defines `__init__`: unittest builds one instance per test method at collection time, so prepare state in `setUp` or `setUpClass` instead",
            class.name
        ),
    ));
}
