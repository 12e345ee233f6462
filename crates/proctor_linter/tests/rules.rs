//! Fixture tests for every rule.
//!
//! Each rule has `tests/fixtures/rules/<CODE>.py`. A line where the rule must report carries a
//! trailing marker comment `# expect: <CODE>` (repeat the code for two findings on one line);
//! every other line must stay silent, so the look-alikes in the fixture are checked too.
//! Leading `# config: <toml>` lines set `[tool.proctor]` keys for the fixture.
//!
//! For each rule the test also:
//! - snapshots every finding's position, message and fix title (`snapshots/rules__<CODE>.snap`);
//! - for rules with a fix, applies all of the rule's fixes to a fixed point, snapshots the
//!   result, checks it parses with no new syntax errors, that fixing it again changes nothing,
//!   and that every fix has the applicability the rule declares.
//!
//! Update snapshots with `INSTA_UPDATE=always cargo test -p proctor_linter --test rules`, then
//! read the diff.

use std::path::{Path, PathBuf};

use proctor_linter::config::settings_from_table;
use proctor_linter::discovery::build_workspace;
use proctor_linter::fix::{FixMode, error_count, fix_source};
use proctor_linter::parse::parse;
use proctor_linter::{LineIndex, Settings, all_rules, check_source, find_rule};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

fn settings_for(code: &str, source: &str, path: &Path) -> Settings {
    let config: String = source
        .lines()
        .take_while(|l| l.starts_with("# config:"))
        .map(|l| format!("{}\n", l.trim_start_matches("# config:").trim()))
        .collect();
    let mut table: toml::Table = config.parse().expect("fixture config is valid TOML");
    table.insert(
        "select".into(),
        toml::Value::Array(vec![toml::Value::String(code.into())]),
    );
    settings_from_table(path, &table).expect("fixture config is valid")
}

fn expected_markers(source: &str, code: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in source.lines().enumerate() {
        if let Some(at) = line.find("# expect:") {
            for item in line[at + "# expect:".len()..]
                .split([',', ' '])
                .filter(|s| !s.is_empty())
            {
                if item == code {
                    out.push((i + 1, item.to_string()));
                }
            }
        }
    }
    out
}

fn check_rule(code: &str) {
    let rule = find_rule(code).unwrap_or_else(|| panic!("no rule {code}"));
    let path = fixture_dir().join(format!("{code}.py"));
    let source = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{code} needs a fixture at {}: {e}", path.display()));
    assert_eq!(
        error_count(&parse(&source, None)),
        0,
        "{code}'s fixture must parse cleanly"
    );
    let settings = settings_for(code, &source, &path);
    // The workspace the command line would build: bases in other fixture files resolve, rules
    // that ask about subclasses elsewhere get an answer, and no `conftest.py` lies between the
    // fixtures and their `pyproject.toml`.
    let workspace = build_workspace(&[fixture_dir()], std::slice::from_ref(&path));
    let output = check_source(&source, Some(&path), &settings, &workspace);
    assert!(
        output.panics.is_empty(),
        "{code} panicked: {:?}",
        output.panics
    );
    let lines = LineIndex::new(&source);

    // Findings match the markers exactly.
    let mut found: Vec<(usize, String)> = output
        .diagnostics
        .iter()
        .map(|d| {
            (
                lines.line_column(&source, d.range.start).line,
                d.rule.code().to_string(),
            )
        })
        .collect();
    found.sort();
    let mut expected = expected_markers(&source, code);
    expected.sort();
    assert_eq!(
        found, expected,
        "{code}: findings (left) differ from `# expect:` markers (right)"
    );
    assert!(
        !expected.is_empty(),
        "{code}'s fixture must contain cases that fire"
    );

    // Messages and fix titles.
    let mut report = String::new();
    for d in &output.diagnostics {
        let start = lines.line_column(&source, d.range.start);
        let end = lines.line_column(&source, d.range.end);
        report.push_str(&format!(
            "{}:{}-{}:{} {} {}\n",
            start.line,
            start.column,
            end.line,
            end.column,
            d.rule.code(),
            d.message
        ));
        if let Some(fix) = &d.fix {
            report.push_str(&format!(
                "    fix ({}): {}\n",
                fix.applicability.as_str(),
                fix.message
            ));
            assert_eq!(
                Some(fix.applicability),
                rule.fix,
                "{code} emitted a {} fix but declares {:?}",
                fix.applicability.as_str(),
                rule.fix
            );
        }
        assert!(!d.message.is_empty());
    }
    insta::assert_snapshot!(code.to_string(), report);

    // Fixes converge, parse and are idempotent.
    if rule.fix.is_some() {
        assert!(
            output.diagnostics.iter().any(|d| d.fix.is_some()),
            "{code} declares a fix; its fixture must exercise it"
        );
        let fixed = fix_source(&source, Some(&path), &settings, &workspace, FixMode::All);
        assert_eq!(
            fixed.dropped, 0,
            "{code}: a fix was dropped for breaking the syntax"
        );
        assert!(fixed.changed(), "{code}: fixes changed nothing");
        let tree = parse(&fixed.source, None);
        assert_eq!(
            error_count(&tree),
            0,
            "{code}: the fixed text does not parse:\n{}",
            fixed.source
        );
        insta::assert_snapshot!(format!("{code}.fixed"), fixed.source);
        let again = fix_source(
            &fixed.source,
            Some(&path),
            &settings,
            &workspace,
            FixMode::All,
        );
        assert_eq!(
            again.source, fixed.source,
            "{code}: fixing twice changed the text"
        );
    }
}

#[test]
fn every_rule_has_a_fixture() {
    for rule in all_rules() {
        let path = fixture_dir().join(format!("{}.py", rule.code));
        assert!(
            path.exists(),
            "{} has no fixture at {}",
            rule.code,
            path.display()
        );
    }
}

#[test]
fn every_rule_doc_has_the_required_sections() {
    for rule in all_rules() {
        let mut last = 0;
        for section in proctor_linter::docs::REQUIRED_SECTIONS {
            let at = rule
                .doc
                .find(section)
                .unwrap_or_else(|| panic!("{} doc lacks {section}", rule.code));
            assert!(at >= last, "{} doc has {section} out of order", rule.code);
            last = at;
        }
        assert!(!rule.summary.is_empty());
    }
}

#[test]
fn every_rule_passes_its_fixture() {
    let mut failures = Vec::new();
    for rule in all_rules() {
        let result = std::panic::catch_unwind(|| check_rule(rule.code));
        if let Err(payload) = result {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {message}", rule.code));
        }
    }
    assert!(
        failures.is_empty(),
        "rule fixtures failed:\n{}",
        failures.join("\n\n")
    );
}

/// One test per rule code, so `cargo test TQ301` runs one fixture.
macro_rules! rule_tests {
    ($($name:ident => $code:literal,)*) => {
        $(#[test] #[allow(non_snake_case)] fn $name() { check_rule($code); })*
    };
}

rule_tests! {
    TQ101 => "TQ101",
    TQ102 => "TQ102",
    TQ103 => "TQ103",
    TQ104 => "TQ104",
    TQ105 => "TQ105",
    TQ106 => "TQ106",
    TQ201 => "TQ201",
    TQ202 => "TQ202",
    TQ203 => "TQ203",
    TQ204 => "TQ204",
    TQ301 => "TQ301",
    TQ302 => "TQ302",
    TQ303 => "TQ303",
    TQ304 => "TQ304",
    TQ401 => "TQ401",
    TQ402 => "TQ402",
    TQ403 => "TQ403",
    TQ404 => "TQ404",
    TQ405 => "TQ405",
    TQ501 => "TQ501",
    TQ502 => "TQ502",
    TQ503 => "TQ503",
    TQ504 => "TQ504",
    TQ505 => "TQ505",
    TQ506 => "TQ506",
    TQ507 => "TQ507",
    TQ508 => "TQ508",
    TQ509 => "TQ509",
    TQ601 => "TQ601",
    TQ602 => "TQ602",
    TQ603 => "TQ603",
    TQ604 => "TQ604",
    TQ605 => "TQ605",
    TQ606 => "TQ606",
    TQ607 => "TQ607",
    TQ608 => "TQ608",
    TQ609 => "TQ609",
    TQ610 => "TQ610",
    TQ701 => "TQ701",
    TQ702 => "TQ702",
    TQ703 => "TQ703",
    TQ704 => "TQ704",
    TQ705 => "TQ705",
    TQ801 => "TQ801",
    TQ802 => "TQ802",
    TQ803 => "TQ803",
    TQ804 => "TQ804",
    TQ805 => "TQ805",
    TQ806 => "TQ806",
}
