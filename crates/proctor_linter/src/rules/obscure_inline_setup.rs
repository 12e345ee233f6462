use tree_sitter::Node;

use crate::diagnostic::Diagnostic;
use crate::model::assigned_names;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::syntax::{Field, Kind, field, kind, named_children};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::ObscureInlineSetup,
    code: "TQ608",
    name: "obscure-inline-setup",
    category: Category::Structure,
    default_enabled: true,
    severity: Severity::Info,
    fix: None,
    summary: "more than 10 distinct local variables assigned in one test",
    doc: r#"
### What it flags
A test that assigns more than `max-test-locals` (default 10) distinct local variables in its
own body. Counted are the names bound by `=` (tuple unpacking included), annotated and
augmented assignments, `:=` and `with ... as` targets. Not counted: `_`, loop variables
(`for i in ...` prepares nothing), names bound in functions nested in the test, comprehension
variables, `except ... as` names and imports.

### Why it matters
A test that builds a dozen values inline buries what it is about under how it gets there:
the reader has to tell setup from action and check apart, and every other test that needs the
same world builds it again, slightly differently. Shared setup belongs in `setUp`, a fixture,
or a helper with a name that says what it prepares.

### Example
```python
def test_live_migrate(self):
    flavor = ...
    image = ...
    network = ...
    port = ...
    server = ...
    source = ...
    dest = ...
    ...
```

### Use instead
```python
def test_live_migrate(self):
    server = self._boot_server_with_port(host="host1")
    self._live_migrate(server, "host2")
    self.assertEqual("host2", server["host"])
```

### Fix
None: which values form the setup is the author's call.
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
    let mut names: Vec<&str> = Vec::new();
    let mut add = |node: Node| {
        let name = ctx.text(node);
        if name != "_" && !names.contains(&name) {
            names.push(name);
        }
    };
    let mut targets: Vec<(usize, Node)> = Vec::new();
    for assignment in function.nodes(Kind::Assignment) {
        // `x: int` declares without binding.
        if field(*assignment, Field::Right).is_none() {
            continue;
        }
        if let Some(left) = field(*assignment, Field::Left) {
            targets.extend(assigned_names(left).into_iter().map(|n| (n.start_byte(), n)));
        }
    }
    for assignment in function.nodes(Kind::AugmentedAssignment) {
        if let Some(left) = field(*assignment, Field::Left).filter(|l| kind(*l) == Kind::Identifier)
        {
            targets.push((left.start_byte(), left));
        }
    }
    for walrus in function.nodes(Kind::NamedExpression) {
        if let Some(name) = field(*walrus, Field::Name) {
            targets.push((name.start_byte(), name));
        }
    }
    for item in function.nodes(Kind::WithItem) {
        let Some(value) = field(*item, Field::Value).filter(|v| kind(*v) == Kind::AsPattern)
        else {
            continue;
        };
        if let Some(alias) = field(value, Field::Alias) {
            for target in named_children(alias) {
                targets.extend(assigned_names(target).into_iter().map(|n| (n.start_byte(), n)));
            }
        }
    }
    targets.sort_by_key(|(at, _)| *at);
    for (_, node) in targets {
        add(node);
    }
    let limit = ctx.settings.thresholds.max_test_locals;
    if names.len() <= limit {
        return;
    }
    let shown: Vec<String> = names.iter().take(5).map(|n| format!("`{n}`")).collect();
    let more = if names.len() > 5 { ", …" } else { "" };
    out.push(Diagnostic::new(
        RuleId::ObscureInlineSetup,
        TextRange::of(function.name_node),
        format!(
            "`{}` assigns {} local variables ({}{more}): the setup buries what the test is about; move it into `setUp`, a fixture or a named helper",
            function.name,
            names.len(),
            shown.join(", ")
        ),
    ));
}
