use std::collections::HashMap;

use crate::diagnostic::Diagnostic;
use crate::model::{decorators_of, dotted_name};
use crate::registry::RuleId;
use crate::rule::{Category, ModuleContext, Rule, Severity};
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::DuplicateTestName,
    code: "TQ610",
    name: "duplicate-test-name",
    category: Category::Structure,
    default_enabled: true,
    severity: Severity::Error,
    fix: None,
    summary: "two tests with the same name in one class or module: the first one silently never runs",
    doc: r#"
### What it flags
A test defined twice under the same name in one class, or twice at module level. Python keeps
only the last definition, so the earlier one is replaced before the runner ever sees it. The
finding is on each definition that gets replaced, and names the line of the one that replaces it.

### Why it matters
Copying a test and forgetting to rename it is easy, and nothing fails: the suite just has one
test fewer than it seems to, and the behaviour the first test checked is no longer checked.

### Example
```python
class ServerTest(unittest.TestCase):
    def test_create_server(self):
        ...

    def test_create_server(self):  # meant: test_create_server_with_tags
        ...
```

### Use instead
```python
class ServerTest(unittest.TestCase):
    def test_create_server(self):
        ...

    def test_create_server_with_tags(self):
        ...
```

### Fix
None: only the author knows which name each test should have.

### Known limits
- Definitions in different branches of an `if` or `try` are alternatives, not duplicates, and a
  definition inside a branch is not compared with one outside it.
- Definitions decorated with `@typing.overload`, or as a property's `setter`/`getter`/`deleter`,
  or registered (`@f.register`), are not duplicates.
- Overriding a test inherited from a base class is not a duplicate.
"#,
    function_check: None,
    module_check: Some(check),
    file_check: None,
};

fn check(ctx: &ModuleContext, out: &mut Vec<Diagnostic>) {
    let file = ctx.file;
    // (class, name, enclosing block) → definitions in source order.
    let mut groups: HashMap<(Option<usize>, &str, usize), Vec<tree_sitter::Node>> =
        HashMap::new();
    for unit in &file.units {
        let Some(name_node) = field(unit.function, Field::Name) else {
            continue;
        };
        let name = file.text(name_node);
        let decorators = decorators_of(unit.outer);
        if decorators.iter().any(|d| is_redefinition_decorator(file.source, *d)) {
            continue;
        }
        let function_kind =
            file.function_kind(name, unit.class, false, &decorators, ctx.settings);
        if !function_kind.is_test() {
            continue;
        }
        let Some(block) = unit.outer.parent() else {
            continue;
        };
        groups
            .entry((unit.class, name, block.id()))
            .or_default()
            .push(name_node);
    }
    for ((class, name, _), definitions) in groups {
        let place = match file.class(class) {
            Some(class) => format!("class `{}`", class.name),
            None => "this module".to_string(),
        };
        for pair in definitions.windows(2) {
            let [replaced, replacing] = pair else {
                continue;
            };
            let line = file.lines.line_of(replacing.start_byte()) + 1;
            out.push(Diagnostic::new(
                RuleId::DuplicateTestName,
                TextRange::of(*replaced),
                format!(
                    "Test `{name}` is defined again on line {line} of {place}: this definition is replaced and never runs"
                ),
            ));
        }
    }
}

/// `@overload`, `@typing.overload`, `@x.setter`/`getter`/`deleter`, `@f.register`: decorators
/// under which defining a name again is the point.
fn is_redefinition_decorator(source: &str, decorator: tree_sitter::Node) -> bool {
    let Some(expression) = decorator.named_child(0) else {
        return false;
    };
    let target = if kind(expression) == Kind::Call {
        field(expression, Field::Function).unwrap_or(expression)
    } else {
        expression
    };
    let Some(name) = dotted_name(source, target) else {
        return false;
    };
    let last = name.rsplit('.').next().unwrap_or(&name);
    matches!(
        last,
        "overload" | "setter" | "getter" | "deleter" | "register"
    )
}
