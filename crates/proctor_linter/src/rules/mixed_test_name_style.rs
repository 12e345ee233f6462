use std::collections::BTreeMap;

use crate::diagnostic::Diagnostic;
use crate::model::FunctionKind;
use crate::registry::RuleId;
use crate::rule::{Category, FileContext, Rule, Severity};
use crate::summary::FunctionSummary;
use crate::workspace::{FileClasses, MroEntry};

pub const RULE: Rule = Rule {
    id: RuleId::MixedTestNameStyle,
    code: "TQ202",
    name: "mixed-test-name-style",
    category: Category::Naming,
    default_enabled: true,
    severity: Severity::Info,
    fix: None,
    summary: "tests in one class or module mix `test_foo_bar` and `testFooBar`",
    doc: r#"
### What it flags
Tests of one class (or the module-level tests of one file) whose names mix the snake_case
style (`test_foo_bar`) and the camelCase style (`testFooBar`). The tests in the minority style
are reported; when both styles are equally common, those that differ from the first test are.

### Why it matters
Test names are read in lists: runner output, failure reports, `-k` selections. One style per
class keeps them scannable and greppable (`-k test_evacuate` finds every evacuation test only
if they are all spelled that way). A mix usually means tests were added over the years without
a look at their neighbours.

### Example
```python
class ServerActionsTest(test.TestCase):
    def test_reboot_hard(self): ...
    def test_reboot_soft(self): ...
    def testRebuild(self): ...
```

### Use instead
```python
class ServerActionsTest(test.TestCase):
    def test_reboot_hard(self): ...
    def test_reboot_soft(self): ...
    def test_rebuild(self): ...
```

### Fix
None: renaming a test changes its id in CI history, `-k` selections and skip lists; rename it
by hand.

### Known limits
A class counts as a test class when the file shows it (a `TestCase` base, a `Test*` name) or
when its bases, followed through the workspace, reach a test framework's `TestCase`. Names
that fit both styles (`test`, `testreboot`) and names that mix them (`test_fooBar`) are
not counted.
"#,
    function_check: None,
    module_check: None,
    file_check: Some(check),
};

/// The style of a test name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestNameStyle {
    /// `test_foo_bar` (also `test_live_migrate_VF`: the words are joined with underscores).
    Snake,
    /// `testFooBar`.
    Camel,
}

impl TestNameStyle {
    pub fn of(name: &str) -> Option<TestNameStyle> {
        let rest = name.strip_prefix("test")?;
        if rest.starts_with('_') {
            let words = rest.trim_start_matches('_');
            // `test_fooBar` mixes both styles: count it as neither.
            let camel_inside = words
                .split('_')
                .any(|w| w.chars().next().is_some_and(|c| c.is_lowercase()) && w.chars().any(char::is_uppercase));
            return (!words.is_empty() && !camel_inside).then_some(TestNameStyle::Snake);
        }
        if rest.starts_with(|c: char| c.is_ascii_uppercase()) && !rest.contains('_') {
            return Some(TestNameStyle::Camel);
        }
        None
    }

    fn describe(self) -> &'static str {
        match self {
            TestNameStyle::Snake => "snake_case (`test_foo_bar`)",
            TestNameStyle::Camel => "camelCase (`testFooBar`)",
        }
    }
}

fn check(ctx: &FileContext, out: &mut Vec<Diagnostic>) {
    let mut groups: BTreeMap<Option<usize>, Vec<(&FunctionSummary, TestNameStyle)>> =
        BTreeMap::new();
    let classes = FileClasses::new(ctx.workspace, ctx.file, ctx.functions);
    let mut is_test_case: BTreeMap<usize, bool> = BTreeMap::new();
    for function in ctx.functions {
        if function.parent.is_some() {
            continue;
        }
        // A `test*` method of a class whose `TestCase` base is in another file is a test too.
        let inherited_test = function.kind == FunctionKind::Helper
            && ctx.settings.is_test_function_name(&function.name)
            && function.class.is_some_and(|id| {
                *is_test_case.entry(id).or_insert_with(|| {
                    classes.mro(id).entries.iter().any(
                        |e| matches!(e, MroEntry::Framework(framework) if framework.test_case),
                    )
                })
            });
        if !function.is_test() && !inherited_test {
            continue;
        }
        if let Some(style) = TestNameStyle::of(&function.name) {
            groups
                .entry(function.class)
                .or_default()
                .push((function, style));
        }
    }
    for (class, tests) in groups {
        let snake = tests
            .iter()
            .filter(|(_, s)| *s == TestNameStyle::Snake)
            .count();
        let camel = tests.len() - snake;
        if snake == 0 || camel == 0 {
            continue;
        }
        let majority = match snake.cmp(&camel) {
            std::cmp::Ordering::Greater => TestNameStyle::Snake,
            std::cmp::Ordering::Less => TestNameStyle::Camel,
            std::cmp::Ordering::Equal => match tests.first() {
                Some((_, style)) => *style,
                None => continue,
            },
        };
        let others = snake.max(camel);
        let place = match ctx.file.class(class) {
            Some(class) => format!("`{}`", class.name),
            None => "this module".to_string(),
        };
        let minority = if majority == TestNameStyle::Snake {
            TestNameStyle::Camel
        } else {
            TestNameStyle::Snake
        };
        for (function, style) in &tests {
            if *style == majority {
                continue;
            }
            out.push(Diagnostic::new(
                RuleId::MixedTestNameStyle,
                function.name_range,
                format!(
                    "Test `{}` is named in {} while {others} other {} in {place} {} {}",
                    function.name,
                    minority.describe(),
                    if others == 1 { "test" } else { "tests" },
                    if others == 1 { "uses" } else { "use" },
                    majority.describe(),
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles() {
        assert_eq!(TestNameStyle::of("test_foo_bar"), Some(TestNameStyle::Snake));
        assert_eq!(TestNameStyle::of("test_live_migrate_VF"), Some(TestNameStyle::Snake));
        assert_eq!(TestNameStyle::of("testFooBar"), Some(TestNameStyle::Camel));
        assert_eq!(TestNameStyle::of("test_fooBar"), None);
        assert_eq!(TestNameStyle::of("testFoo_bar"), None);
        assert_eq!(TestNameStyle::of("test"), None);
        assert_eq!(TestNameStyle::of("testreboot"), None);
        assert_eq!(TestNameStyle::of("test_"), None);
    }
}
