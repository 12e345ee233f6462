use crate::Applicability;
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::model::FunctionKind;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::rules::inconsistent_naming::{exemption_reason, overrides_in_file};
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;
use crate::unit::Function;

pub const RULE: Rule = Rule {
    id: RuleId::UntypedHelper,
    code: "TQ203",
    name: "untyped-helper",
    category: Category::Typing,
    default_enabled: true,
    severity: Severity::Info,
    fix: Some(Applicability::Safe),
    summary: "a helper or fixture with unannotated parameters or return",
    doc: r#"
### What it flags
A helper of a test file — a module function or method that is not a test, not a
`setUp`-family method and not a dunder — or a pytest fixture, with a parameter that has no
annotation or without a return annotation. `self` and `cls` (and the first parameter of any
method that is not a `@staticmethod`) never need one.

### Why it matters
Helpers are the API of a test suite: `_create_server`, `_wait_for_state`,
`_assert_pci_device_allocated` are called from dozens of tests, often from other files. Type
hints say what they take and give back without a trip to their body, let the editor complete
and check calls, and let a type checker catch a test that passes the wrong thing — a test
helper called with a UUID where it wants a server dict fails in confusing ways, or worse,
passes.

### Example
```python
def _assert_pci_device_allocated(self, instance_uuid, compute_node_id, num=1):
    devices = objects.PciDeviceList.get_by_instance_uuid(self.ctxt, instance_uuid)
    self.assertEqual(num, len(devices))
```

### Use instead
```python
def _assert_pci_device_allocated(
    self, instance_uuid: str, compute_node_id: int, num: int = 1
) -> None:
    devices = objects.PciDeviceList.get_by_instance_uuid(self.ctxt, instance_uuid)
    self.assertEqual(num, len(devices))
```

### Fix
Safe, for the return type only: adds `-> None` when the function's own body (functions nested
in it do not count) has no `return <value>` and no `yield`, is not abstract and does not raise
`NotImplementedError`. Parameter types need a human.

### Known limits
Functions nested in tests and helpers (stubs handed to a patch, callbacks) are not reported:
their signature is the one of the thing they replace. Methods that override a method of a base
class in the same file, and the unittest, testtools and fixtures hooks (`run`, `id`,
`_setUp`, `cleanUp`…), are not reported either: their signature belongs to the base.
Overrides of methods of base classes in other files are reported. Methods named `test*` are
taken for tests even when the file alone does not show that their class is a test case (its
`TestCase` base is in another file).
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let function = ctx.function;
    let what = match function.kind {
        FunctionKind::Helper => "Helper",
        FunctionKind::Fixture => "Fixture",
        _ => return,
    };
    let class = ctx.class();
    if class.is_some()
        && (exemption_reason(function.name).is_some()
            || overrides_in_file(ctx.file, class, function.name)
            // A `test*` method of a class whose test-case base is in another file: a test.
            || ctx.settings.is_test_function_name(function.name))
    {
        return;
    }
    let Some(parameters) = function.parameters else {
        return;
    };
    let source = ctx.source();
    let is_static = function
        .decorators
        .iter()
        .any(|d| ctx.text(*d).trim_start_matches('@').trim() == "staticmethod");
    let mut unannotated = Vec::new();
    for (index, parameter) in function.parameter_list(source).iter().enumerate() {
        let implicit = matches!(parameter.name, "self" | "cls")
            || (index == 0 && class.is_some() && !is_static);
        if !implicit && !parameter.annotated {
            unannotated.push(format!("`{}{}`", parameter.star, parameter.name));
        }
    }
    let has_return = field(function.node, Field::ReturnType).is_some();
    if unannotated.is_empty() && has_return {
        return;
    }
    let returns_nothing = !has_return && returns_nothing(ctx, function);
    let mut missing = Vec::new();
    if !unannotated.is_empty() {
        let noun = if unannotated.len() == 1 {
            "parameter"
        } else {
            "parameters"
        };
        missing.push(format!("{noun} {}", unannotated.join(", ")));
    }
    if !has_return {
        missing.push("its return".to_string());
    }
    let mut message = format!(
        "{what} `{}` has no type hints on {}",
        function.name,
        missing.join(" or ")
    );
    if returns_nothing {
        message.push_str("; it returns nothing: add `-> None`");
    }
    let fix = returns_nothing.then(|| {
        Fix::safe(
            "Add `-> None`",
            vec![Edit::insert(parameters.end_byte(), " -> None")],
        )
    });
    out.push(
        Diagnostic::new(
            RuleId::UntypedHelper,
            TextRange::of(function.name_node),
            message,
        )
        .with_optional_fix(fix),
    );
}

/// Whether `-> None` is right: no `return <value>` or `yield` in the function's own body, not
/// abstract, no `raise NotImplementedError`.
fn returns_nothing(ctx: &FunctionContext, function: &Function) -> bool {
    let returns_value = function.nodes(Kind::ReturnStatement).iter().any(|r| {
        r.named_child(0)
            .is_some_and(|value| kind(value) != Kind::None && kind(value) != Kind::Comment)
    });
    if returns_value || !function.nodes(Kind::Yield).is_empty() {
        return false;
    }
    let abstract_method = function.decorators.iter().any(|d| {
        let text = ctx.text(*d);
        text.contains("abstractmethod") || text.contains("abstractproperty")
    });
    let not_implemented = function.nodes(Kind::RaiseStatement).iter().any(|r| {
        r.named_child(0)
            .is_some_and(|e| ctx.text(e).starts_with("NotImplementedError"))
    });
    !abstract_method && !not_implemented
}
