//! The reviewed test: what Proctor must say about the Nova regression test
//! `nova/tests/functional/regressions/test_bug_1896463.py` (from the `nova==34.0.0` sdist),
//! checked with default settings.
//!
//! The corpus is read from `$PROCTOR_CORPUS_DIR`, else `~/.cache/proctor-corpus`
//! (`scripts/fetch-corpus` puts it there). When it is absent these tests print a notice and
//! pass.
//!
//! Each group of rules keeps its assertions in its own test function.

use std::path::{Path, PathBuf};

use proctor_linter::discovery::build_workspace;
use proctor_linter::{Category, Diagnostic, Settings, Workspace, check_source};

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
        Err(_) => {
            eprintln!(
                "skipped: the Nova corpus is not at {} (run scripts/fetch-corpus, or set PROCTOR_CORPUS_DIR)",
                path.display()
            );
            None
        }
    }
}

fn check(path: &Path, source: &str, workspace: &Workspace) -> Vec<Diagnostic> {
    let output = check_source(source, Some(path), &Settings::default(), workspace);
    assert!(
        output.panics.is_empty(),
        "rules panicked: {:?}",
        output.panics
    );
    output.diagnostics
}

/// The review found no security defect, and the file is a `unittest` test: no security
/// finding and no pytest fixture finding, with or without the workspace around it.
#[test]
fn reviewed_file_has_no_security_or_fixture_findings() {
    let Some((path, source)) = reviewed_file() else {
        return;
    };
    let nova = path
        .ancestors()
        .find(|p| p.ends_with("nova-34.0.0"))
        .expect("the corpus layout")
        .to_path_buf();
    let around = build_workspace(&[nova], std::slice::from_ref(&path));
    for workspace in [Workspace::empty(), around] {
        let diagnostics = check(&path, &source, &workspace);
        let unexpected: Vec<String> = diagnostics
            .iter()
            .filter(|d| {
                d.rule.rule().category == Category::Security
                    || matches!(d.rule.code(), "TQ704" | "TQ705")
            })
            .map(|d| format!("{} {}", d.rule.code(), d.message))
            .collect();
        assert!(unexpected.is_empty(), "{unexpected:#?}");
    }
}
