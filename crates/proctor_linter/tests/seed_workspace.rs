//! What Proctor says about the reviewed Nova test, checked on the real file.
//!
//! The file is read from the Nova 34.0.0 corpus under `$PROCTOR_CORPUS_DIR` (default
//! `~/.cache/proctor-corpus`, fetched by `scripts/fetch-corpus`). Without it these tests print
//! a notice and pass, unless `PROCTOR_REQUIRE_CORPUS` is set. The workspace is built the way
//! the command line builds it, so helpers inherited from other Nova modules are resolved.

use std::path::PathBuf;

use proctor_linter::discovery::build_workspace;
use proctor_linter::{Diagnostic, LineIndex, Settings, check_source};

const SEED: &str = "nova/tests/functional/regressions/test_bug_1896463.py";

fn corpus_root() -> Option<PathBuf> {
    let base = std::env::var_os("PROCTOR_CORPUS_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/proctor-corpus"))
        })?;
    let root = base.join("nova-34.0.0");
    if root.join(SEED).is_file() {
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

/// The findings of `codes` on the seed file, as `(line, code, message)`.
fn findings(codes: &[&str]) -> Option<Vec<(usize, String, String)>> {
    let root = corpus_root()?;
    let path = root.join(SEED);
    let source = std::fs::read_to_string(&path).expect("the seed file is readable");
    let workspace = build_workspace(&[root.join("nova/tests")], std::slice::from_ref(&path));
    let mut settings = Settings::default();
    settings
        .apply(&proctor_linter::settings::Selection {
            select: Some(codes.iter().map(|c| c.to_string()).collect()),
            ..Default::default()
        })
        .expect("valid codes");
    let output = check_source(&source, Some(&path), &settings, &workspace);
    assert!(output.panics.is_empty(), "{:?}", output.panics);
    let lines = LineIndex::new(&source);
    Some(
        output
            .diagnostics
            .iter()
            .map(|d: &Diagnostic| {
                (
                    lines.line_column(&source, d.range.start).line,
                    d.rule.code().to_string(),
                    d.message.clone(),
                )
            })
            .collect(),
    )
}

#[test]
fn general_fixture_reports_glance_and_placement_but_not_what_the_test_uses() {
    let Some(found) = findings(&["TQ701"]) else {
        return;
    };
    let lines: Vec<usize> = found.iter().map(|(line, _, _)| *line).collect();
    for (line, name) in [(48, "self.glance"), (49, "self.placement")] {
        let finding = found
            .iter()
            .find(|(l, _, _)| *l == line)
            .unwrap_or_else(|| panic!("TQ701 must report `{name}` on line {line}: {found:#?}"));
        assert!(finding.2.contains(name), "{finding:?}");
        assert!(finding.2.contains("drop the binding"), "{finding:?}");
    }
    // `self.neutron` is read by the test; `self.api` by `_create_server`, inherited from
    // `InstanceHelperMixin` in integrated_helpers.py; `self.compute1` by the test; `self.ctxt`
    // by the helper `_assert_pci_device_allocated`.
    for (line, name) in [
        (47, "self.neutron"),
        (56, "self.api"),
        (66, "self.compute1"),
        (87, "self.ctxt"),
    ] {
        assert!(
            !lines.contains(&line),
            "TQ701 must not report `{name}` on line {line}: {found:#?}"
        );
    }
}

#[test]
fn the_inherited_helper_is_resolved_through_the_workspace() {
    // With an empty workspace the class's bases are unknown, so TQ701 stays silent rather
    // than report `self.api`.
    let Some(root) = corpus_root() else { return };
    let path = root.join(SEED);
    let source = std::fs::read_to_string(&path).expect("the seed file is readable");
    let mut settings = Settings::default();
    settings
        .apply(&proctor_linter::settings::Selection {
            select: Some(vec!["TQ701".into()]),
            ..Default::default()
        })
        .expect("valid code");
    let output = check_source(
        &source,
        Some(&path),
        &settings,
        &proctor_linter::Workspace::empty(),
    );
    assert!(output.diagnostics.is_empty(), "{:#?}", output.diagnostics);
}
