use tree_sitter::Node;

use crate::Applicability;
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::fixes::delete_statement_lines;
use crate::model::{assigned_names, statements};
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::PrintInTest,
    code: "TQ606",
    name: "print-in-test",
    category: Category::Structure,
    default_enabled: true,
    severity: Severity::Info,
    fix: Some(Applicability::Unsafe),
    summary: "`print(...)` in test code",
    doc: r#"
### What it flags
A call of the builtin `print` in test code: tests, fixtures, `setUp`-family methods, helpers,
and functions nested in them. A `print` that the module, the function or an enclosing
function defines, imports or assigns is not the builtin and is left alone.

### Why it matters
Test runners capture output and show it only for failures (or throw it away), so a print is
either noise in a CI log or debugging left behind. What it shows is not checked: if the value
matters, assert it; if it helps diagnose failures, put it in the assertion's message or use
`logging`, which runners attach to failure reports.

### Example
```python
def test_migrate(self):
    server = self._migrate(self.server)
    print(server)
    self.assertEqual("host2", server["host"])
```

### Use instead
```python
def test_migrate(self):
    server = self._migrate(self.server)
    self.assertEqual("host2", server["host"], server)
```

### Fix
Unsafe: deletes the call's statement (with its line). Its arguments are no longer evaluated,
which changes behaviour if they had side effects. A `print` that is the only statement of its
block becomes `pass`, so the code stays valid. Not offered when the call is part of a larger
expression or shares its line with other statements.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let calls: Vec<Node> = ctx
        .function
        .nodes(Kind::Call)
        .iter()
        .copied()
        .filter(|c| is_builtin_print(ctx, *c))
        .collect();
    if calls.is_empty() || print_is_shadowed(ctx) {
        return;
    }
    for call in calls {
        let fix = delete_fix(ctx, call);
        out.push(
            Diagnostic::new(
                RuleId::PrintInTest,
                TextRange::of(call),
                format!(
                    "`{}` in `{}` prints output nobody checks: assert the value, or put it in an assertion's message",
                    ctx.snippet(call, 50),
                    ctx.function.name
                ),
            )
            .with_optional_fix(fix),
        );
    }
}

fn is_builtin_print(ctx: &FunctionContext, call: Node) -> bool {
    field(call, Field::Function)
        .is_some_and(|f| kind(f) == Kind::Identifier && ctx.text(f) == "print")
}

/// Whether `print` is bound to something else here: defined or assigned at module level,
/// imported (in the module or a function), a parameter of or assigned in this function or
/// an enclosing one.
fn print_is_shadowed(ctx: &FunctionContext) -> bool {
    if ctx.file.module_names.contains("print") || ctx.file.imports.get("print").is_some() {
        return true;
    }
    let source = ctx.source();
    std::iter::once(ctx.function)
        .chain(ctx.ancestors())
        .any(|function| {
            function.local_imports.get("print").is_some()
                || function
                    .parameter_list(source)
                    .iter()
                    .any(|p| p.name == "print")
                || function.nodes(Kind::Assignment).iter().any(|a| {
                    field(*a, Field::Left).is_some_and(|left| {
                        assigned_names(left)
                            .iter()
                            .any(|n| ctx.text(*n) == "print")
                    })
                })
                || function.children.iter().any(|i| {
                    ctx.unit.functions.get(*i).is_some_and(|f| f.name == "print")
                })
        })
}

/// Deletes the statement the call is, or turns it into `pass` when deleting would empty its
/// block.
fn delete_fix(ctx: &FunctionContext, call: Node) -> Option<Fix> {
    let statement = call
        .parent()
        .filter(|p| kind(*p) == Kind::ExpressionStatement)?;
    let block = statement.parent().filter(|b| kind(*b) == Kind::Block)?;
    let siblings = statements(block);
    // When every statement of the block is a print, the first becomes `pass` and the rest go,
    // so that applying all of the fixes together still leaves a statement.
    let all_prints = siblings.iter().all(|s| {
        kind(*s) == Kind::ExpressionStatement
            && s.named_child(0)
                .is_some_and(|c| kind(c) == Kind::Call && is_builtin_print(ctx, c))
    });
    let edit = if all_prints && siblings.first() == Some(&statement) {
        Edit::replace(TextRange::of(statement), "pass")
    } else {
        delete_statement_lines(ctx.file, statement)?
    };
    Some(Fix::unsafe_edit("Delete the print call", vec![edit]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(source: &str) -> Vec<String> {
        crate::testing::messages(RuleId::PrintInTest, source)
    }

    #[test]
    fn a_module_level_print_is_not_the_builtin() {
        let test = "def test_x():\n    print(1)\n";
        assert_eq!(findings(test).len(), 1);
        assert!(findings(&format!("from rich import print\n{test}")).is_empty());
        assert!(findings(&format!("print = log.info\n{test}")).is_empty());
        assert!(findings(&format!("def print(*a):\n    pass\n{test}")).is_empty());
        let local_import = "def test_x():\n    from rich import print\n    print(1)\n";
        assert!(findings(local_import).is_empty());
    }
}
