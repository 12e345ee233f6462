use crate::assertions::{Assertion, assertions};
use crate::diagnostic::Diagnostic;
use crate::model::TestStyle;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::AssertionRoulette,
    code: "TQ502",
    name: "assertion-roulette",
    category: Category::Assertions,
    default_enabled: true,
    severity: Severity::Info,
    fix: None,
    summary: "more than 5 assertions without a message in one unittest-style test",
    doc: r#"
### What it flags
A unittest-style test that makes more than `max-unlabelled-assertions` (default 5) assertions
without a failure message: `self.assertEqual(a, b)` rather than
`self.assertEqual(a, b, "flavor of the resized server")`. Counted are the `assert*` methods of
`unittest.TestCase` and testtools that take a message (`msg`, or `message` in testtools), and
plain `assert` statements without one in files that do not use pytest.

Plain `assert` in pytest files is exempt: pytest rewrites it to print the values compared.
`assertRaises`, `assertWarns` and `assertLogs` are not counted: their failure already names
what was expected.

### Why it matters
"`AssertionError: 2 != 3`" from the eighth `assertEqual` of a test tells the reader nothing
about which fact broke. With many unlabelled checks in one test, the first step of every
failure is to count lines in a traceback; a short message turns the report into a sentence.

### Example
```python
def test_resize(self):
    server = self._resize(self.server, self.flavor2)
    self.assertEqual(2, server["flavor"]["vcpus"])
    self.assertEqual(2048, server["flavor"]["ram"])
    self.assertEqual("ACTIVE", server["status"])
    self.assertEqual("host2", server["OS-EXT-SRV-ATTR:host"])
    self.assertEqual(1, len(self._get_migrations()))
    self.assertIsNone(server["fault"])
```

### Use instead
```python
def test_resize(self):
    server = self._resize(self.server, self.flavor2)
    self.assertEqual(2, server["flavor"]["vcpus"], "vCPUs of the new flavor")
    self.assertEqual(2048, server["flavor"]["ram"], "RAM of the new flavor")
    ...
```
or split the test by the behaviour each group of assertions checks, or compare one whole
expected value (`self.assertEqual(expected_flavor, server["flavor"])`).

### Fix
None: only the author knows what each check means.

### Known limits
Only assertions in the test's own body are counted, not those in helpers it calls or in
functions nested in it. A project's own assertion helpers (`self.assertJsonEqual`) are not
counted, since their signatures are unknown. A call passing `*args` or `**kwargs` counts as
labelled.
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
    // pytest rewrites plain `assert`; unittest runners do not.
    let count_plain = function.kind == crate::model::FunctionKind::Test(TestStyle::Unittest)
        && !ctx.file.uses_pytest;
    let unlabelled = assertions(ctx.source(), function)
        .iter()
        .filter(|a| match a {
            Assertion::Statement(_) => count_plain && !a.has_message(),
            Assertion::Method(m) => m.method.message_position.is_some() && !a.has_message(),
        })
        .count();
    if unlabelled <= ctx.settings.thresholds.max_unlabelled_assertions {
        return;
    }
    out.push(Diagnostic::new(
        RuleId::AssertionRoulette,
        TextRange::of(function.name_node),
        format!(
            "`{}` makes {unlabelled} assertions without a message: when one fails, the report does not say which check it was",
            function.name
        ),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(source: &str) -> Vec<String> {
        crate::testing::messages(RuleId::AssertionRoulette, source)
    }

    const SIX_PLAIN: &str = "\
class T(unittest.TestCase):
    def test_x(self):
        assert a == 1
        assert b == 1
        assert c == 1
        assert d == 1
        assert e == 1
        assert f == 1
";

    #[test]
    fn plain_asserts_count_in_unittest_files_only() {
        let unittest = format!("import unittest\n{SIX_PLAIN}");
        assert_eq!(findings(&unittest).len(), 1);
        let pytest = format!("import unittest\nimport pytest\n{SIX_PLAIN}");
        assert!(findings(&pytest).is_empty());
        let function = "def test_x():\n    assert a\n    assert b\n    assert c\n    assert d\n    assert e\n    assert f\n";
        assert!(findings(function).is_empty());
    }
}
