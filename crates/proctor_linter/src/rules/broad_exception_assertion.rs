use tree_sitter::Node;

use crate::assertions::{method_assertion, unparenthesized};
use crate::diagnostic::Diagnostic;
use crate::model::{keyword_argument, positional_arguments};
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::syntax::{Field, Kind, field, kind, named_children};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::BroadExceptionAssertion,
    code: "TQ506",
    name: "broad-exception-assertion",
    category: Category::Assertions,
    default_enabled: true,
    severity: Severity::Warning,
    fix: None,
    summary: "`assertRaises(Exception)` / `pytest.raises(Exception)` with no check of the message",
    doc: r#"
### What it flags
`self.assertRaises(Exception, ...)`, `pytest.raises(Exception)`, or the same with
`BaseException` (alone or in a tuple), when nothing checks which error it was:

- not flagged: `assertRaisesRegex(Exception, "...")`, `pytest.raises(Exception, match="...")`;
- not flagged: the context manager bound with `as` (`with self.assertRaises(Exception) as cm:`,
  `with pytest.raises(Exception) as excinfo:`) when the name is used afterwards
  (`cm.exception`, `excinfo.value`);
- not flagged: the returned exception kept and used (`ex = self.assertRaises(Exception, f)`
  followed by a check on `ex`, as testtools allows), or passed straight to another call.

### Why it matters
Every error is an `Exception`: a typo in the test (`NameError`), a wrong argument
(`TypeError`), a mock that is not set up (`AttributeError`) all make this assertion pass. The
test then reports green while the code under test never reached the failure it was meant to
check.

### Example
```python
def test_delete_locked(self):
    with self.assertRaises(Exception):
        self.api.delete_server(server["id"])
```

### Use instead
```python
def test_delete_locked(self):
    with self.assertRaises(exception.InstanceIsLocked):
        self.api.delete_server(server["id"])
```
or, when the class really is generic, check the message:
`self.assertRaisesRegex(Exception, "is locked")`, `pytest.raises(Exception, match="is locked")`.

### Fix
None: only the author knows which exception is expected.

### Known limits
`Exception` and `BaseException` are recognised as the builtins; a module that imports or
defines its own class of that name is left alone. A name bound with `as` counts as checked if
it is used anywhere later in the function.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let source = ctx.source();
    for call in ctx.function.nodes(Kind::Call) {
        let (exception, pytest_style) = if let Some(assertion) = method_assertion(source, *call)
        {
            let name = ctx.text(assertion.name);
            if !matches!(name, "assertRaises" | "failUnlessRaises") {
                continue;
            }
            let Some(exception) = assertion.operands.first().copied() else {
                continue;
            };
            (exception, false)
        } else if ctx.callee(*call).as_deref() == Some("pytest.raises") {
            if keyword_argument(source, *call, "match").is_some() {
                continue;
            }
            let Some(exception) = positional_arguments(*call).first().copied() else {
                continue;
            };
            (exception, true)
        } else {
            continue;
        };
        let Some(broad) = broad_exception(ctx, exception) else {
            continue;
        };
        if is_result_checked(ctx, *call) {
            continue;
        }
        let remedy = if pytest_style {
            "`match=`"
        } else {
            "`assertRaisesRegex`"
        };
        out.push(Diagnostic::new(
            RuleId::BroadExceptionAssertion,
            TextRange::of(exception),
            format!(
                "`{}` accepts any `{broad}`, even one from a typo or a missing mock: expect the specific exception class, or check the message ({remedy})",
                ctx.snippet(*call, 60)
            ),
        ));
    }
}

/// `Exception` or `BaseException` as the builtin, alone or in a tuple.
fn broad_exception(ctx: &FunctionContext, node: Node) -> Option<&'static str> {
    let node = unparenthesized(node);
    match kind(node) {
        Kind::Tuple => named_children(node).find_map(|e| broad_builtin(ctx, unparenthesized(e))),
        _ => broad_builtin(ctx, node),
    }
}

fn broad_builtin(ctx: &FunctionContext, node: Node) -> Option<&'static str> {
    let name = match kind(node) {
        Kind::Identifier => {
            let name = ctx.text(node);
            // Imported or defined under that name: not the builtin.
            if ctx.resolve(node).is_some() || ctx.file.module_names.contains(name) {
                return None;
            }
            name.to_string()
        }
        Kind::Attribute => ctx
            .resolve(node)?
            .strip_prefix("builtins.")?
            .to_string(),
        _ => return None,
    };
    match name.as_str() {
        "Exception" => Some("Exception"),
        "BaseException" => Some("BaseException"),
        _ => None,
    }
}

/// Whether what the call returns (the context manager, or the caught exception / `ExceptionInfo`
/// of the callable form) is looked at afterwards.
fn is_result_checked(ctx: &FunctionContext, call: Node) -> bool {
    let Some(parent) = call.parent() else {
        return false;
    };
    let bound = match kind(parent) {
        // `with self.assertRaises(E):`
        Kind::WithItem => return false,
        // `self.assertRaises(E, f)` as a statement: the result is dropped.
        Kind::ExpressionStatement => return false,
        // `with self.assertRaises(E) as cm:`
        Kind::AsPattern => field(parent, Field::Alias).and_then(|alias| {
            named_children(alias).find(|n| kind(*n) == Kind::Identifier)
        }),
        // `ex = self.assertRaises(E, f)`
        Kind::Assignment if field(parent, Field::Right) == Some(call) => {
            field(parent, Field::Left).filter(|l| kind(*l) == Kind::Identifier)
        }
        // Passed on to another call, returned, compared...: used.
        _ => return true,
    };
    let Some(name) = bound else {
        return false;
    };
    let wanted = ctx.text(name);
    ctx.function
        .nodes(Kind::Identifier)
        .iter()
        .chain(ctx.descendants().iter().flat_map(|f| f.nodes(Kind::Identifier)))
        .any(|identifier| identifier.start_byte() > name.end_byte() && ctx.text(*identifier) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(source: &str) -> Vec<String> {
        crate::testing::messages(RuleId::BroadExceptionAssertion, source)
    }

    #[test]
    fn a_local_exception_class_is_not_the_builtin() {
        let base = "import unittest\nclass T(unittest.TestCase):\n    def test_x(self):\n        self.assertRaises(Exception, f)\n";
        assert_eq!(findings(base).len(), 1);
        assert!(findings(&format!("from mylib import Exception\n{base}")).is_empty());
        assert!(findings(&format!("class Exception(ValueError):\n    pass\n{base}")).is_empty());
        let qualified = "import builtins\nimport unittest\nclass T(unittest.TestCase):\n    def test_x(self):\n        self.assertRaises(builtins.Exception, f)\n";
        assert_eq!(findings(qualified).len(), 1);
    }
}
