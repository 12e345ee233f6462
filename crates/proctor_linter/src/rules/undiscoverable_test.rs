use crate::Applicability;
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::model::{Class, ClassKind, FileModel, FunctionKind, TestStyle, is_framework_base};
use crate::registry::RuleId;
use crate::rule::{Category, FileContext, FunctionContext, Rule, Severity};
use crate::summary::FunctionSummary;
use crate::syntax::{Kind, kind};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::UndiscoverableTest,
    code: "TQ609",
    name: "undiscoverable-test",
    category: Category::Structure,
    default_enabled: true,
    severity: Severity::Error,
    fix: Some(Applicability::Safe),
    summary: "a function or method that looks like a test but is never collected (misspelled prefix, nested in a function, in a class the runner skips)",
    doc: r#"
### What it flags
A function or method written as a test that the test runner will never collect, so it never
runs:

- a **misspelled prefix**: `tset_create_server`, `Test_create_server`, `TEST_create_server`,
  `testsCreate`… Both unittest and pytest collect only names that start with `test`, exactly,
  case included. Methods of test classes and mixins, and module functions of files that hold
  pytest tests, are checked;
- a **`test_*` function nested in another function** and never used there: only module
  functions and methods are collected;
- a **`test_*` method of a pytest class that defines `__init__`**: pytest does not collect
  classes with a constructor (it warns, and moves on). Only methods that assert are flagged, so
  a fake object with a `test_connection()` method is left alone.

### Why it matters
An uncollected test is worse than no test: it reads like coverage, reviewers trust it, and it
has never run — it may not even pass.

### Example
```python
class ServerTest(unittest.TestCase):
    def tset_create_server(self):
        self.assertEqual("ACTIVE", create_server()["status"])
```

### Use instead
```python
class ServerTest(unittest.TestCase):
    def test_create_server(self):
        self.assertEqual("ACTIVE", create_server()["status"])
```

### Fix
Safe for misspelled prefixes: renames the function to `test_…` (`tset_create_server` →
`test_create_server`, `TestCreate` → `testCreate`). Not offered when the new name is already
taken in the class or module, or when two misspellings would get the same name: either would
hide the other test (see TQ610). The renamed test
will run from then on: check that it passes.

### Known limits
- `tests_foo` is not flagged: it starts with `test`, so unittest and pytest both collect it.
- A misspelled name that the file calls or hands around (`self.tset_x()`) is a helper, not a
  test, and is left alone; so is a misspelled method that takes arguments but has no decorator
  that would supply them.
- A nested `test_*` function that is called, returned, decorated or otherwise used is left
  alone: it may be a stub or a generated test.
- A class that no runner collects because of its name or bases (`class ServerChecks:` with
  `test_*` methods) may be a mixin that test classes in other files inherit from, so it is not
  flagged.
"#,
    function_check: Some(check_nested),
    module_check: None,
    file_check: Some(check_file),
};

/// Prefixes that are a slip of the keyboard away from `test` (one letter missing, doubled or
/// swapped). `est` is left out: it starts real words (`estimate`).
const TYPOS: &[&str] = &[
    "tst", "tet", "tes", "ttest", "teest", "tesst", "testt", "etst", "tset", "tets",
];

/// `(prefix, rest)` when `name` starts with a misspelling of `test`: `tset_x` → `("tset",
/// "_x")`, `TestX` → `("Test", "X")`. Names that start with `test` are collected and give `None`.
pub fn misspelled_test_prefix(name: &str) -> Option<(&str, &str)> {
    if name.starts_with("test") {
        return None;
    }
    // The first word: up to `_`, or up to a capital that follows a small letter.
    let mut end = name.len();
    let mut previous_lower = false;
    for (i, c) in name.char_indices() {
        if c == '_' || (c.is_uppercase() && previous_lower) {
            end = i;
            break;
        }
        previous_lower = c.is_lowercase();
    }
    let (word, rest) = name.split_at(end);
    if rest.is_empty() || rest.chars().all(|c| c == '_') {
        return None;
    }
    let lower = word.to_ascii_lowercase();
    let case_slip = lower == "test" || lower == "tests";
    (case_slip || TYPOS.contains(&word)).then_some((word, rest))
}

/// Whether a nested function's name reads as a test (`test`, `test_x`, `testX`).
fn reads_as_test(name: &str) -> bool {
    match name.strip_prefix("test") {
        Some(rest) => {
            rest.is_empty() || rest.starts_with('_') || rest.starts_with(char::is_uppercase)
        }
        None => false,
    }
}

fn check_nested(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let function = ctx.function;
    if function.kind != FunctionKind::Nested
        || !reads_as_test(function.name)
        || !function.decorators.is_empty()
    {
        return;
    }
    // A method of a class defined inside a function is a method, not a nested function.
    let mut node = function.outer.parent();
    for _ in 0..64 {
        match node.map(kind) {
            Some(Kind::ClassDefinition) | None => return,
            Some(Kind::FunctionDefinition) => break,
            _ => node = node.and_then(|n| n.parent()),
        }
    }
    let Some(parent) = ctx.parent() else {
        return;
    };
    let source = ctx.source();
    for other in &ctx.unit.functions {
        let used = other.nodes(Kind::Identifier).iter().any(|identifier| {
            *identifier != function.name_node
                && matches!(
                    source.get(identifier.byte_range()),
                    Some(text) if text == function.name || text == "locals" || text == "vars"
                )
        });
        if used {
            return;
        }
    }
    out.push(Diagnostic::new(
        RuleId::UndiscoverableTest,
        TextRange::of(function.name_node),
        format!(
            "`{}` is defined inside `{}` and never used: nested functions are not collected, so it never runs",
            function.name, parent.name
        ),
    ));
}

fn check_file(ctx: &FileContext, out: &mut Vec<Diagnostic>) {
    let file = ctx.file;
    let functions = ctx.functions;
    let has_pytest_functions = functions.iter().any(|f| {
        f.class.is_none() && f.parent.is_none() && f.kind == FunctionKind::Test(TestStyle::Pytest)
    });
    let pytest_file = has_pytest_functions || file.imports.imports_module("pytest");
    // Two misspellings of one name (`tset_x` and `Test_x`) would both become `test_x`.
    let mut renames: std::collections::HashMap<(Option<usize>, String), usize> =
        std::collections::HashMap::new();
    for summary in functions.iter().filter(|f| f.parent.is_none()) {
        if let Some((_, rest)) = misspelled_test_prefix(&summary.name) {
            *renames
                .entry((summary.class, format!("test{rest}")))
                .or_default() += 1;
        }
    }
    for summary in functions {
        if summary.parent.is_some() || summary.kind != FunctionKind::Helper {
            continue;
        }
        let class = file.class(summary.class);
        if let Some(diagnostic) = misspelled(file, functions, summary, class, pytest_file, &renames)
        {
            out.push(diagnostic);
        } else if let Some(class) = class
            && let Some(diagnostic) = in_class_with_constructor(file, functions, summary, class)
        {
            out.push(diagnostic);
        }
    }
}

/// A test with a misspelled prefix.
fn misspelled(
    file: &FileModel,
    functions: &[FunctionSummary],
    summary: &FunctionSummary,
    class: Option<&Class>,
    pytest_file: bool,
    renames: &std::collections::HashMap<(Option<usize>, String), usize>,
) -> Option<Diagnostic> {
    let (_, rest) = misspelled_test_prefix(&summary.name)?;
    let runner = match class {
        Some(class) => match class.kind {
            ClassKind::TestCase | ClassKind::TestMixin => {
                // Extra parameters without a decorator to supply them: a helper.
                if summary.required_parameters > 1 && summary.decorators.is_empty() {
                    return None;
                }
                "unittest only runs methods"
            }
            ClassKind::PytestClass if !class.has_init => "pytest only collects methods",
            _ => return None,
        },
        None if pytest_file => "pytest only collects functions",
        None => return None,
    };
    if is_referenced(functions, summary) {
        return None;
    }
    let new_name = format!("test{rest}");
    let taken = match class {
        Some(class) => class.method_names.contains(&new_name),
        None => file.module_names.contains(&new_name),
    } || renames
        .get(&(summary.class, new_name.clone()))
        .is_some_and(|&count| count > 1);
    let fix = (!taken).then(|| {
        Fix::safe(
            format!("Rename to `{new_name}`"),
            vec![Edit::replace(summary.name_range, new_name.clone())],
        )
    });
    Some(
        Diagnostic::new(
            RuleId::UndiscoverableTest,
            summary.name_range,
            format!(
                "`{}` looks like a test but never runs: {runner} whose names start with `test`",
                summary.name
            ),
        )
        .with_optional_fix(fix),
    )
}

/// A test method of a pytest class that defines `__init__`.
fn in_class_with_constructor(
    file: &FileModel,
    functions: &[FunctionSummary],
    summary: &FunctionSummary,
    class: &Class,
) -> Option<Diagnostic> {
    let collected_name = summary.name.starts_with("test");
    let only_framework_bases = class.bases.iter().all(is_framework_base);
    let used_as_base = file
        .classes
        .iter()
        .any(|c| c.bases.iter().any(|b| b.text == class.name));
    let opted_out = class.class_attributes.iter().any(|a| a == "__test__");
    if class.kind != ClassKind::PytestClass
        || !class.has_init
        || !collected_name
        || !only_framework_bases
        || used_as_base
        || opted_out
        || !summary.asserts
        || summary.required_parameters > 1
        || is_referenced(functions, summary)
    {
        return None;
    }
    Some(Diagnostic::new(
        RuleId::UndiscoverableTest,
        summary.name_range,
        format!(
            "`{}` never runs: `{}` defines `__init__`, and pytest does not collect test classes with a constructor",
            summary.name, class.name
        ),
    ))
}

/// Whether the file calls or hands around the function by name (or might: a function too deeply
/// nested to be looked into could).
fn is_referenced(functions: &[FunctionSummary], summary: &FunctionSummary) -> bool {
    let name = summary.name.as_str();
    functions.iter().any(|f| {
        if f.opaque {
            return true;
        }
        if summary.class.is_some() {
            f.self_calls.iter().any(|c| c == name) || f.self_reads.iter().any(|c| c == name)
        } else {
            f.bare_calls.iter().any(|c| c == name)
                || f.passed_names.iter().any(|c| c == name)
                || f.decorators.iter().any(|c| c == name)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelled_prefixes() {
        assert_eq!(
            misspelled_test_prefix("tset_create"),
            Some(("tset", "_create"))
        );
        assert_eq!(
            misspelled_test_prefix("Test_create"),
            Some(("Test", "_create"))
        );
        assert_eq!(misspelled_test_prefix("TestCreate"), Some(("Test", "Create")));
        assert_eq!(
            misspelled_test_prefix("TEST_CREATE"),
            Some(("TEST", "_CREATE"))
        );
        assert_eq!(
            misspelled_test_prefix("tsetCreate"),
            Some(("tset", "Create"))
        );
        assert_eq!(misspelled_test_prefix("test_create"), None);
        assert_eq!(misspelled_test_prefix("tests_create"), None);
        assert_eq!(misspelled_test_prefix("testCreate"), None);
        assert_eq!(misspelled_test_prefix("est_time"), None);
        assert_eq!(misspelled_test_prefix("text_of"), None);
        assert_eq!(misspelled_test_prefix("Test"), None);
        assert_eq!(misspelled_test_prefix("tset_"), None);
        assert_eq!(misspelled_test_prefix("_test_create"), None);
        assert_eq!(misspelled_test_prefix("Testing_x"), None);
    }
}
