//! The corpus test: `proctor check` over Nova 34.0.0's whole test suite, and the reviewed test.
//!
//! The corpus is fetched by `scripts/fetch-corpus` into `$PROCTOR_CORPUS_DIR` (default
//! `~/.cache/proctor-corpus`). These tests are `#[ignore]`d in the everyday `cargo test` (they
//! want a release build and the corpus); `scripts/test` runs them with
//! `cargo test --release -p proctor --test corpus -- --ignored`, with `PROCTOR_REQUIRE_CORPUS=1`
//! so that a missing corpus fails instead of skipping.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn corpus_root() -> Option<PathBuf> {
    let base = std::env::var_os("PROCTOR_CORPUS_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/proctor-corpus"))
        })?;
    let root = base.join("nova-34.0.0");
    if root.join("nova/tests").is_dir() {
        return Some(root);
    }
    assert!(
        std::env::var_os("PROCTOR_REQUIRE_CORPUS").is_none(),
        "the corpus is missing at {}: run scripts/fetch-corpus",
        root.display()
    );
    eprintln!(
        "skipped: no corpus at {} (run scripts/fetch-corpus)",
        root.display()
    );
    None
}

fn proctor(args: &[&str], cwd: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proctor"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the proctor binary runs")
}

fn findings(output: &Output) -> Vec<Value> {
    let text = String::from_utf8(output.stdout.clone()).expect("JSON output is UTF-8");
    match serde_json::from_str(&text) {
        Ok(Value::Array(items)) => items,
        other => panic!("expected a JSON array, got {other:?}"),
    }
}

#[test]
#[ignore = "needs the corpus and a release build: run by scripts/test"]
fn whole_suite_is_checked_without_errors_and_deterministically() {
    let Some(root) = corpus_root() else { return };
    let args = [
        "check",
        "--no-cache",
        "--exit-zero",
        "--output-format",
        "json",
        "nova/tests",
    ];
    let first = proctor(&args, &root);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(
        first.status.success(),
        "proctor check failed ({:?}):\n{stderr}",
        first.status
    );
    assert!(
        !stderr.contains("error"),
        "proctor reported errors:\n{stderr}"
    );
    let second = proctor(&args, &root);
    assert_eq!(
        first.stdout, second.stdout,
        "two runs over the corpus gave different output"
    );

    let items = findings(&first);
    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut files = std::collections::BTreeSet::new();
    for item in &items {
        *per_rule
            .entry(item["code"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
        files.insert(item["path"].as_str().unwrap_or("?").to_string());
    }
    eprintln!("{} findings in {} files", items.len(), files.len());
    for (code, count) in &per_rule {
        eprintln!("  {code}: {count}");
    }
    assert!(!items.is_empty(), "a real test suite has findings");

    // The cached run gives the same findings as the uncached one.
    let cache_dir = tempdir();
    let corpus_tests = root.join("nova/tests");
    let corpus_arg = corpus_tests.to_string_lossy().into_owned();
    let cached_args = [
        "check",
        "--exit-zero",
        "--output-format",
        "json",
        corpus_arg.as_str(),
    ];
    let cold = proctor(&cached_args, &cache_dir);
    let warm = proctor(&cached_args, &cache_dir);
    assert!(
        cache_dir.join(".proctor_cache").is_dir(),
        "the cache was written"
    );
    assert_eq!(findings(&cold).len(), items.len());
    assert_eq!(
        cold.stdout, warm.stdout,
        "a warm (cached) run differs from a cold one"
    );
    let _ = std::fs::remove_dir_all(&cache_dir);
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("proctor-corpus-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}

/// Findings of the reviewed test, as (code, line) pairs plus the raw objects.
fn reviewed_findings() -> Option<Vec<Value>> {
    let root = corpus_root()?;
    let output = proctor(
        &[
            "check",
            "--no-cache",
            "--exit-zero",
            "--output-format",
            "json",
            "nova/tests/functional/regressions/test_bug_1896463.py",
        ],
        &root,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(findings(&output))
}

fn lines_of(items: &[Value], code: &str) -> Vec<u64> {
    let mut lines: Vec<u64> = items
        .iter()
        .filter(|i| i["code"] == code)
        .filter_map(|i| i["line"].as_u64())
        .collect();
    lines.sort_unstable();
    lines
}

fn fix_of<'a>(items: &'a [Value], code: &str, line: u64) -> &'a Value {
    &items
        .iter()
        .find(|i| i["code"] == code && i["line"] == line)
        .unwrap_or_else(|| panic!("no {code} on line {line}"))["fix"]
}

#[test]
#[ignore = "needs the corpus and a release build: run by scripts/test"]
fn reviewed_test_gets_the_findings_of_its_review() {
    let Some(items) = reviewed_findings() else {
        return;
    };

    assert_eq!(
        lines_of(&items, "TQ101"),
        vec![113],
        "TQ101 on the test only"
    );
    assert_eq!(fix_of(&items, "TQ101", 113)["applicability"], "safe");
    assert!(
        fix_of(&items, "TQ101", 113)["edits"][0]["content"]
            .as_str()
            .is_some_and(
                |c| c.contains("\"\"\"Evacuate races with update available resource.\"\"\"")
            ),
        "the docstring stub is derived from the test's name"
    );
    assert!(
        lines_of(&items, "TQ501").is_empty(),
        "no TQ501: the test asserts through _assert_pci_device_allocated"
    );
    assert_eq!(
        lines_of(&items, "TQ603"),
        Vec::<u64>::new(),
        "TQ603: the reviewed test keeps its loops in helpers, not in its own body"
    );
}

#[test]
#[ignore = "needs the corpus and a release build: run by scripts/test"]
fn reviewed_test_general_fixture_follows_inherited_helpers() {
    let Some(items) = reviewed_findings() else {
        return;
    };
    let lines = lines_of(&items, "TQ701");
    for (line, name) in [(48, "self.glance"), (49, "self.placement")] {
        assert!(
            lines.contains(&line),
            "TQ701 must report `{name}`: {lines:?}"
        );
    }
    // `self.api` is read by `_create_server`, inherited from `InstanceHelperMixin` in another
    // module: the class index the command line builds must resolve it.
    for (line, name) in [
        (47, "self.neutron"),
        (56, "self.api"),
        (66, "self.compute1"),
        (87, "self.ctxt"),
    ] {
        assert!(
            !lines.contains(&line),
            "TQ701 must not report `{name}`: {lines:?}"
        );
    }
}

#[test]
#[ignore = "needs the corpus and a release build: run by scripts/test"]
fn reviewed_test_gets_its_docs_naming_and_typing_findings() {
    let Some(items) = reviewed_findings() else {
        return;
    };

    // TQ204: `self.neutron` and `self.glance` with their class-level annotations, spelled as
    // the file imports them, in one fix that adds every evident annotation of the class.
    let tq204 = lines_of(&items, "TQ204");
    assert!(
        tq204.contains(&47) && tq204.contains(&48),
        "TQ204 on self.neutron and self.glance: {tq204:?}"
    );
    for (line, annotation) in [
        (47, "neutron: nova_fixtures.NeutronFixture"),
        (48, "glance: nova_fixtures.GlanceFixture"),
    ] {
        let fix = fix_of(&items, "TQ204", line);
        assert_eq!(fix["applicability"], "safe");
        let edits = fix["edits"].as_array().expect("edits");
        assert!(
            edits.iter().any(|e| e["content"]
                .as_str()
                .is_some_and(|c| c.contains(&format!("    {annotation}\n")))),
            "the TQ204 fix on line {line} adds `{annotation}`: {fix}"
        );
    }

    // TQ106: the story of the test, lines 131-189, with the move-into-docstring refactor.
    let narrative: Vec<&Value> = items.iter().filter(|i| i["code"] == "TQ106").collect();
    assert_eq!(narrative.len(), 1, "one TQ106: {narrative:?}");
    assert_eq!(narrative[0]["line"], 131);
    assert_eq!(narrative[0]["end_line"], 189);
    assert_eq!(narrative[0]["fix"]["applicability"], "refactor");

    // TQ201 never flags the framework's names (`setUp`, `useFixture`, `assertEqual`); the file
    // has no other naming inconsistency either.
    assert!(
        lines_of(&items, "TQ201").is_empty(),
        "no TQ201 on the reviewed test"
    );
}

#[test]
#[ignore = "needs the corpus and a release build: run by scripts/test"]
fn framework_names_are_never_flagged_as_naming_inconsistencies() {
    let Some(root) = corpus_root() else { return };
    let output = proctor(
        &[
            "check",
            "--no-cache",
            "--exit-zero",
            "--select",
            "naming",
            "--output-format",
            "json",
            "nova/tests",
        ],
        &root,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for item in findings(&output) {
        let message = item["message"].as_str().unwrap_or_default();
        let name = message.split('`').nth(1).unwrap_or_default();
        assert!(
            proctor_linter::rules::inconsistent_naming::exemption_reason(name).is_none(),
            "a framework name was flagged: {item}"
        );
    }
}

#[test]
#[ignore = "needs the corpus and a release build: run by scripts/test"]
fn review_of_the_reviewed_test_covers_its_human_review() {
    let Some(root) = corpus_root() else { return };
    let output = proctor(
        &[
            "review",
            "nova/tests/functional/regressions/test_bug_1896463.py",
        ],
        &root,
    );
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let mut lines = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('='));
    assert!(
        lines.next().is_some_and(|l| l.starts_with("Review of ")),
        "{text}"
    );
    assert_eq!(
        lines.next(),
        Some("No security defects are detected in the code."),
        "{text}"
    );
    // The review's points: docstrings, type hints on setUp attributes, the sleeps and their
    // event-based replacement, the hand-written patch replacements, the narrative comment,
    // and the fixtures nobody uses — each as a numbered observation naming its lines.
    for needle in [
        "line 113: Test `test_evacuate_races_with_update_available_resource` has no docstring",
        "line 47: `self.neutron`",
        "line 48: `self.glance`",
        "line 193: `time.sleep(1)` in `slow_drop`",
        "line 204: `time.sleep(2)` in `slow_get_mig`",
        "Replace sleep with event wait",
        "line 197: `fixtures.MockPatch` replaces `Instance.drop_migration_context`",
        "line 208: `fixtures.MockPatch` replaces `MigrationList.get_in_progress_and_error`",
        "line 131:",
        "line 192: Stub `slow_drop`",
        "line 49: `self.placement` is set up in `setUp` for every test, but no test of the class uses it",
        "Fixes Proctor can apply",
    ] {
        assert!(
            text.contains(needle),
            "the review lacks {needle:?}:\n{text}"
        );
    }
    let numbered = text
        .lines()
        .filter(|l| {
            l.split_once(". ")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
        })
        .count();
    assert!(numbered >= 6, "numbered observations: {numbered}\n{text}");
    let again = proctor(
        &[
            "review",
            "nova/tests/functional/regressions/test_bug_1896463.py",
        ],
        &root,
    );
    assert_eq!(
        text.as_bytes(),
        again.stdout.as_slice(),
        "the review is deterministic"
    );
}
