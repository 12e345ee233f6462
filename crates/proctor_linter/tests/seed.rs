//! The reviewed test: what Proctor must say about the Nova regression test
//! `nova/tests/functional/regressions/test_bug_1896463.py` (from the `nova==34.0.0` sdist),
//! checked with default settings, line by line.
//!
//! The corpus is read from `$PROCTOR_CORPUS_DIR`, else `~/.cache/proctor-corpus`
//! (`scripts/fetch-corpus` puts it there; `scripts/test` always fetches it and sets
//! `PROCTOR_REQUIRE_CORPUS`, which turns a missing corpus into a failure). Otherwise, when it
//! is absent, these tests print a notice and pass. `tests/fixtures/seed/` holds a
//! hand-written file of the same shape, checked without the corpus.
//!
//! Each group of rules keeps its assertions in its own test function.

use std::path::{Path, PathBuf};

use proctor_linter::{
    Applicability, Category, Diagnostic, LineIndex, Settings, Workspace, check_source,
};

const REVIEWED: &str = "nova-34.0.0/nova/tests/functional/regressions/test_bug_1896463.py";

fn corpus_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PROCTOR_CORPUS_DIR") {
        return Some(PathBuf::from(dir));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/proctor-corpus"))
}

/// The reviewed file's path and text, or `None` (with a notice) when the corpus is absent.
fn reviewed_file() -> Option<(PathBuf, String)> {
    let path = corpus_dir()?.join(REVIEWED);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some((path, text)),
        Err(error) => {
            // `scripts/test` sets this: there a missing corpus is a failure, not a skip.
            assert!(
                std::env::var_os("PROCTOR_REQUIRE_CORPUS").is_none(),
                "the reviewed file is missing at {}: {error} (run scripts/fetch-corpus)",
                path.display()
            );
            eprintln!(
                "skipped: the Nova corpus is not at {} (run scripts/fetch-corpus, or set PROCTOR_CORPUS_DIR)",
                path.display()
            );
            None
        }
    }
}

fn check_with_defaults(path: &Path, source: &str) -> Vec<Diagnostic> {
    let output = check_source(
        source,
        Some(path),
        &Settings::default(),
        &Workspace::empty(),
    );
    assert!(
        output.panics.is_empty(),
        "rules panicked: {:?}",
        output.panics
    );
    output.diagnostics
}

/// The 1-based start lines of the findings of `code`.
fn lines_of(diagnostics: &[Diagnostic], source: &str, code: &str) -> Vec<usize> {
    let index = LineIndex::new(source);
    diagnostics
        .iter()
        .filter(|d| d.rule.code() == code)
        .map(|d| index.line_column(source, d.range.start).line)
        .collect()
}

/// Every TQ301 finding offers the "Replace sleep with event wait" refactor.
fn assert_event_wait_refactors(diagnostics: &[Diagnostic]) {
    for d in diagnostics.iter().filter(|d| d.rule.code() == "TQ301") {
        let fix = d.fix.as_ref().expect("TQ301 offers a fix");
        assert_eq!(fix.message, "Replace sleep with event wait");
        assert_eq!(fix.applicability, Applicability::Refactor);
    }
}

/// TQ103, TQ301, TQ401, TQ402 and TQ403 on the reviewed file.
#[test]
fn reviewed_file_sleeps_stubs_and_patches() {
    let Some((path, source)) = reviewed_file() else {
        return;
    };
    let diagnostics = check_with_defaults(&path, &source);

    // `time.sleep(1)` in `slow_drop` and `time.sleep(2)` in `slow_get_mig`.
    assert_eq!(lines_of(&diagnostics, &source, "TQ301"), vec![193, 204]);
    assert_event_wait_refactors(&diagnostics);

    // The stubs `slow_drop` and `slow_get_mig`, and the helper `_get_compute_node_id_by_host`
    // (line 89): it has no docstring and no comment above its `def` — the comment opening its
    // body explains the microversion it uses, not what it returns. `_assert_pci_device_allocated`
    // has a docstring; `setUp` is a framework method.
    assert_eq!(lines_of(&diagnostics, &source, "TQ103"), vec![89, 192, 203]);
    let stub_fixes: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.rule.code() == "TQ103")
        .filter_map(|d| d.fix.as_ref())
        .flat_map(|f| f.edits.iter().map(|e| e.content.trim().to_string()))
        .collect();
    assert!(
        stub_fixes.contains(&"\"\"\"Stand-in for Instance.drop_migration_context.\"\"\"".into()),
        "{stub_fixes:?}"
    );
    assert!(
        stub_fixes
            .contains(&"\"\"\"Stand-in for MigrationList.get_in_progress_and_error.\"\"\"".into()),
        "{stub_fixes:?}"
    );

    // The two `fixtures.MockPatch(..., new=...)` calls start on 197 and 208 (their `new=`
    // keywords are on 199 and 211).
    assert_eq!(lines_of(&diagnostics, &source, "TQ402"), vec![197, 208]);
    let index = LineIndex::new(&source);
    let ends: Vec<usize> = diagnostics
        .iter()
        .filter(|d| d.rule.code() == "TQ402")
        .map(|d| index.line_column(&source, d.range.end).line)
        .collect();
    assert_eq!(ends, vec![199, 211]);

    // Both patches pass `new`, so neither lacks a spec; no mock assertion is misused.
    assert_eq!(
        lines_of(&diagnostics, &source, "TQ401"),
        Vec::<usize>::new()
    );
    assert_eq!(
        lines_of(&diagnostics, &source, "TQ403"),
        Vec::<usize>::new()
    );
}

/// The review found no security defect.
#[test]
fn reviewed_file_has_nothing_in_security() {
    let Some((path, source)) = reviewed_file() else {
        return;
    };
    let diagnostics = check_with_defaults(&path, &source);
    let security: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.rule.rule().category == Category::Security)
        .collect();
    assert!(security.is_empty(), "{security:?}");
}

/// The same shape, hand-written, so the behaviour is checked without the corpus.
#[test]
fn hand_written_copy_of_the_reviewed_shape() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed/test_evacuate_race.py");
    let source = std::fs::read_to_string(&path).expect("the seed-shaped fixture exists");
    let diagnostics = check_with_defaults(&path, &source);
    assert_eq!(lines_of(&diagnostics, &source, "TQ301"), vec![45, 56]);
    assert_event_wait_refactors(&diagnostics);
    assert_eq!(lines_of(&diagnostics, &source, "TQ103"), vec![27, 44, 55]);
    assert_eq!(lines_of(&diagnostics, &source, "TQ402"), vec![49, 60]);
    assert_eq!(
        lines_of(&diagnostics, &source, "TQ401"),
        Vec::<usize>::new()
    );
    assert_eq!(
        lines_of(&diagnostics, &source, "TQ403"),
        Vec::<usize>::new()
    );
}
