//! Helpers shared by the tests that check files inside a small package on disk.

use std::path::{Path, PathBuf};

use proctor_linter::discovery::build_workspace;
use proctor_linter::registry::RuleSet;
use proctor_linter::{Diagnostic, Settings, check_source};

/// A package in a fresh temporary directory: `(relative path, text)` files.
pub fn package(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let root = std::env::temp_dir().join(format!("proctor-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    root
}

/// Checks `file` of the package with the rules of `codes` (comma-separated selectors), the
/// workspace indexes built over the package: its text and findings.
pub fn check_in_package(root: &Path, file: &str, codes: &str) -> (String, Vec<Diagnostic>) {
    let path = root.join(file);
    let source = std::fs::read_to_string(&path).expect("read");
    let workspace = build_workspace(&[root.to_path_buf()], std::slice::from_ref(&path));
    let mut settings = Settings::default();
    settings.rules = RuleSet::empty();
    for code in codes.split(',') {
        settings
            .rules
            .extend(RuleSet::parse_selector(code).expect("selector"));
    }
    let output = check_source(&source, Some(&path), &settings, &workspace);
    assert!(output.panics.is_empty(), "{:?}", output.panics);
    (source, output.diagnostics)
}
