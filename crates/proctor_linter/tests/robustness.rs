//! No input makes the linter panic or hang: random text, deep nesting, broken syntax, huge files.

use proctor_linter::fix::{FixMode, fix_source};
use proctor_linter::{RuleSet, Settings, Workspace, check_source};
use proptest::prelude::*;

fn all_rules() -> Settings {
    let mut settings = Settings::default();
    settings.rules = RuleSet::all();
    settings
}

fn check(source: &str) {
    let output = check_source(
        source,
        Some(std::path::Path::new("test_x.py")),
        &all_rules(),
        &Workspace::empty(),
    );
    assert!(
        output.panics.is_empty(),
        "rules panicked: {:?}",
        output.panics
    );
    for d in &output.diagnostics {
        assert!(d.range.start <= d.range.end && d.range.end <= source.len());
        assert!(source.is_char_boundary(d.range.start) && source.is_char_boundary(d.range.end));
    }
}

#[test]
fn ten_thousand_deep_nesting() {
    let parens = format!(
        "def test_x():\n    x = {}1{}\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    check(&parens);
    let lists = format!(
        "def test_x():\n    assert {}1{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    check(&lists);
    let mut blocks = String::from("def test_x():\n");
    for depth in 1..=2_000 {
        blocks.push_str(&"    ".repeat(depth));
        blocks.push_str("if x:\n");
    }
    blocks.push_str(&"    ".repeat(2_001));
    blocks.push_str("pass\n");
    check(&blocks);
    let calls = format!(
        "def test_x():\n    {}x{}\n",
        "f(".repeat(10_000),
        ")".repeat(10_000)
    );
    check(&calls);
    let attributes = format!("def test_x():\n    self{}.x = 1\n", ".a".repeat(10_000));
    check(&attributes);
}

#[test]
fn nested_functions_thousands_deep() {
    let mut source = String::new();
    for depth in 0..1_000 {
        source.push_str(&"    ".repeat(depth));
        source.push_str(&format!("def test_{depth}(self):\n"));
    }
    source.push_str(&"    ".repeat(1_000));
    source.push_str("time.sleep(1)\n");
    check(&source);
}

#[test]
fn a_large_file_is_checked() {
    let test = "class T(unittest.TestCase):\n    def test_a(self):\n        time.sleep(1)\n        self.assertTrue(a == b)\n\n";
    let source = format!("import time\nimport unittest\n{}", test.repeat(20_000));
    check(&source);
}

#[test]
fn broken_code_while_typing() {
    for source in [
        "def test_x(self:\n    time.sleep(",
        "class T(unittest.TestCase):\n    def test_a(self):\n        with mock.patch(\n",
        "@pytest.mark.skip(\ndef test_a(",
        "def test_a():\n    assert (\n",
        "\u{feff}def test_\u{e9}():\n\tpass\r\n\r",
        "def test_a():\r    pass\r",
        "x = '''\n",
    ] {
        check(source);
        let fixed = fix_source(
            source,
            Some(std::path::Path::new("test_x.py")),
            &all_rules(),
            &Workspace::empty(),
            FixMode::Unsafe,
        );
        assert!(fixed.rounds <= proctor_linter::fix::MAX_ROUNDS);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(source in "\\PC{0,400}") {
        check(&source);
    }

    #[test]
    fn python_shaped_text_never_panics(
        lines in prop::collection::vec(
            prop::sample::select(vec![
                "import time", "from unittest import mock", "import pytest", "class T(unittest.TestCase):",
                "    def setUp(self):", "        self.x = mock.patch('a').start()", "    def test_a(self):",
                "        time.sleep(1)", "        self.assertTrue(a == b)", "        assert m.called_once_with(1)",
                "def test_b(tmp_path, unknown):", "    try:", "    except Exception:", "        pass",
                "@pytest.mark.skip", "@mock.patch('x')", "    while True:", "        print(x)", "    ",
                "    \"\"\"Doc.\"\"\"", "    # a comment", "    def stub(*a):", "        return f(*a)",
                "    with open('/tmp/x') as f:", "    x = {", "    )", "def", "(", "'''",
            ]),
            0..40,
        )
    ) {
        let source = lines.join("\n");
        check(&source);
        let fixed = fix_source(&source, Some(std::path::Path::new("test_x.py")), &all_rules(), &Workspace::empty(), FixMode::Unsafe);
        let before = proctor_linter::fix::error_count(&proctor_linter::parse::parse(&source, None));
        let after = proctor_linter::fix::error_count(&proctor_linter::parse::parse(&fixed.source, None));
        prop_assert!(after <= before);
    }
}

#[test]
fn a_unit_nested_beyond_the_limit_is_opaque_and_keeps_file_checks_silent() {
    // 1,000 nested functions: far past anything CPython accepts.
    let mut source = String::from(
        "import unittest\n\n\nclass T(unittest.TestCase):\n    def setUp(self):\n        self.unused = 1\n\n",
    );
    for depth in 1..=1_000 {
        source.push_str(&"    ".repeat(depth));
        source.push_str(&format!("def test_{depth}(self):\n"));
    }
    source.push_str(&"    ".repeat(1_001));
    source.push_str("time.sleep(1)\n");
    let output = check_source(
        &source,
        Some(std::path::Path::new("test_x.py")),
        &all_rules(),
        &Workspace::empty(),
    );
    assert!(output.panics.is_empty());
    let codes: Vec<&str> = output.diagnostics.iter().map(|d| d.rule.code()).collect();
    assert!(
        !codes.contains(&"TQ301"),
        "the opaque unit is not looked into: {codes:?}"
    );
    assert!(
        !codes.contains(&"TQ501"),
        "an opaque test is assumed to assert: {codes:?}"
    );
}
