use std::collections::HashMap;

use tree_sitter::Node;

use crate::Applicability;
use crate::diagnostic::Diagnostic;
use crate::fixes::{docstring_stub_fix, sentence_from_name};
use crate::mocking::{find_patch, short_target};
use crate::model::{FileModel, FunctionKind, UnitNode};
use crate::registry::RuleId;
use crate::rule::{Category, FileContext, FunctionContext, Rule, Severity};
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::UndocumentedHelper,
    code: "TQ103",
    name: "undocumented-helper",
    category: Category::Docs,
    default_enabled: true,
    severity: Severity::Info,
    fix: Some(Applicability::Safe),
    summary: "a helper (including a function nested in a test, such as a stub handed to a patch) with neither a docstring nor a comment above its `def`",
    doc: r#"
### What it flags
A helper of a test file — a function or method that is not a test, a fixture, a
`setUp`/`tearDown`-family method or a dunder method — with neither a docstring nor a comment on
the line directly above its `def` (or above its decorators). Functions nested in tests count
too, such as a stub handed to `mock.patch` or `fixtures.MockPatch`.

Tool pragmas above a `def` (`# noqa`, `# pylint: ...`, `# type: ...`) are not documentation.

### Why it matters
A reader follows a test through its helpers, and a helper that does not say what it does has
to be opened and read. A stub nested in a test is worse: it silently changes how the code under
test behaves, and without a word about what it replaces and why, the test's mechanism is
hidden in plain sight.

### Example
```python
def test_evacuate_races_with_update_available_resource(self):
    orig_drop = objects.Instance.drop_migration_context

    def slow_drop(*args, **kwargs):
        time.sleep(1)
        return orig_drop(*args, **kwargs)

    self.useFixture(fixtures.MockPatch(
        'nova.objects.instance.Instance.drop_migration_context', new=slow_drop))
```

### Use instead
```python
    def slow_drop(*args, **kwargs):
        """Stand-in for Instance.drop_migration_context that lets the periodic task start first."""
        time.sleep(1)
        return orig_drop(*args, **kwargs)
```

### Fix
Safe: inserts a one-line docstring stub as the first statement. For a stub handed to a patch in
the same function, the stub names what it stands in for (`"""Stand-in for
Instance.drop_migration_context."""`); otherwise it is derived from the name
(`_get_compute_node_id_by_host` → `"""Get compute node id by host."""`). Finish the sentence:
say why the stand-in behaves as it does.

### Known limits
Framework hooks that land among the helpers are not flagged: `fixtures.Fixture._setUp`,
`runTest`, `run`, `id`, `shortDescription`, `debug`, `load_tests` and pytest's `pytest_*`
hooks. Functions whose name looks like a test (`test*`) are left to `missing-test-docstring`.
A comment that opens the body (the line right under the `def`) is not taken as documentation:
as often as not it explains the first statement rather than the function
(`# use the default flavor` over `flavor = ...`), so helpers documented that way are still
reported; move the comment above the `def` or into a docstring.
"#,
    function_check: Some(check_nested),
    module_check: None,
    file_check: Some(check_top_level),
};

/// Methods and functions a framework calls by name: their contract is documented there.
const FRAMEWORK_HOOKS: &[&str] = &[
    "_setUp",
    "runTest",
    "run",
    "id",
    "shortDescription",
    "debug",
    "countTestCases",
    "defaultTestResult",
    "load_tests",
];

fn is_exempt_name(ctx_settings: &crate::Settings, name: &str) -> bool {
    let dunder = name.len() > 4 && name.starts_with("__") && name.ends_with("__");
    dunder
        || FRAMEWORK_HOOKS.contains(&name)
        || name.starts_with("pytest_")
        || ctx_settings.is_test_function_name(name)
}

/// Functions nested in other functions: the line above such a `def` is inside the unit, and
/// the patch the function is handed to (if any) is in the function around it.
fn check_nested(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let function = ctx.function;
    if function.kind != FunctionKind::Nested
        || function.docstring.is_some()
        || is_exempt_name(ctx.settings, function.name)
        || documented_by_comment(ctx.file, function.outer)
    {
        return;
    }
    let stands_in_for = stand_in_target(ctx);
    let (message, stub) = match &stands_in_for {
        Some((api, target)) => (
            format!(
                "Stub `{}`, handed to `{api}` in place of `{target}`, has neither a docstring nor a comment saying what it does",
                function.name
            ),
            format!("Stand-in for {target}."),
        ),
        None => (
            format!(
                "Nested function `{}` has neither a docstring nor a comment saying what it does",
                function.name
            ),
            sentence_from_name(function.name),
        ),
    };
    let fix = function
        .body
        .and_then(|body| docstring_stub_fix(ctx.file, function.node, body, &stub));
    out.push(
        Diagnostic::new(
            RuleId::UndocumentedHelper,
            TextRange::of(function.name_node),
            message,
        )
        .with_optional_fix(fix),
    );
}

/// The patch API and short target of a patch, in the function around this one (or further
/// out), that receives this function as its replacement or side effect. Only calls that pass
/// the function's name as an argument are classified.
fn stand_in_target(ctx: &FunctionContext) -> Option<(String, String)> {
    let source = ctx.source();
    for (owner, identifier) in ctx.unit.identifiers_named(ctx.function.name) {
        let Some(scope) = ctx.ancestors().find(|a| a.index == owner) else {
            continue;
        };
        let Some(call) = call_passing(identifier) else {
            continue;
        };
        let scoped = FunctionContext {
            function: scope,
            ..*ctx
        };
        let Some(patch) = find_patch(source, call, |n| scoped.resolve(n)) else {
            continue;
        };
        let replacement = patch
            .new
            .map(|r| r.value)
            .or_else(|| patch.keyword("side_effect"));
        if replacement == Some(identifier)
            && let Some(target) = patch.target()
        {
            return Some((patch.callee.to_string(), short_target(&target).to_string()));
        }
    }
    None
}

/// The call that `argument` is passed to, positionally or as a keyword's value.
fn call_passing(argument: Node) -> Option<Node> {
    let mut parent = argument.parent()?;
    if kind(parent) == Kind::KeywordArgument {
        parent = parent.parent()?;
    }
    if kind(parent) != Kind::ArgumentList {
        return None;
    }
    parent.parent().filter(|c| kind(*c) == Kind::Call)
}

/// Module functions and methods. Whether a comment sits above a method is outside the
/// method's own text, so this runs as a file check, on the summaries and the skeleton.
fn check_top_level(ctx: &FileContext, out: &mut Vec<Diagnostic>) {
    let units: HashMap<TextRange, &UnitNode> = ctx
        .file
        .units
        .iter()
        .map(|u| (TextRange::of(u.outer), u))
        .collect();
    for summary in ctx.functions.iter().filter(|s| s.parent.is_none()) {
        if summary.kind != FunctionKind::Helper
            || summary.has_docstring
            || is_exempt_name(ctx.settings, &summary.name)
        {
            continue;
        }
        let Some(unit) = units.get(&summary.range) else {
            continue;
        };
        if documented_by_comment(ctx.file, unit.outer) {
            continue;
        }
        let fix = field(unit.function, Field::Body).and_then(|body| {
            docstring_stub_fix(
                ctx.file,
                unit.function,
                body,
                &sentence_from_name(&summary.name),
            )
        });
        out.push(
            Diagnostic::new(
                RuleId::UndocumentedHelper,
                summary.name_range,
                format!(
                    "Helper `{}` has neither a docstring nor a comment saying what it does",
                    summary.name
                ),
            )
            .with_optional_fix(fix),
        );
    }
}

/// Whether a comment on the line directly above the definition (above its decorators)
/// documents it.
fn documented_by_comment(file: &FileModel, outer: Node) -> bool {
    let source = file.source;
    let line = file.lines.line_of(outer.start_byte());
    if line == 0 {
        return false;
    }
    let above = file.lines.line_range(line - 1, source);
    let text = source.get(above.as_range()).unwrap_or("").trim_start();
    text.starts_with('#') && !is_pragma(text)
}

/// A comment that speaks to a tool, not to the reader.
fn is_pragma(comment: &str) -> bool {
    let text = comment.trim_start_matches('#').trim_start().to_ascii_lowercase();
    [
        "noqa", "pylint:", "pragma:", "type:", "fmt:", "isort:", "flake8:", "mypy:", "pyright:",
        "nosec",
    ]
    .iter()
    .any(|p| text.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pragmas_are_not_documentation() {
        assert!(is_pragma("# noqa: E501"));
        assert!(is_pragma("#pylint: disable=unused-argument"));
        assert!(is_pragma("# type: ignore"));
        assert!(!is_pragma("# Fakes the hypervisor's answer."));
    }
}
