//! Helpers for the rules' own unit tests.

use crate::{Diagnostic, RuleId, Settings, Workspace};

/// The findings of `rule` alone on a test file `test_x.py` holding `source`.
pub fn check_one(rule: RuleId, source: &str) -> Vec<Diagnostic> {
    let mut settings = Settings::default();
    settings.rules = std::iter::once(rule).collect();
    crate::check_source(
        source,
        Some(std::path::Path::new("test_x.py")),
        &settings,
        &Workspace::empty(),
    )
    .diagnostics
}

/// The messages of [`check_one`]'s findings.
pub fn messages(rule: RuleId, source: &str) -> Vec<String> {
    check_one(rule, source)
        .into_iter()
        .map(|d| d.message)
        .collect()
}
