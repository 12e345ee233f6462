//! Any bytes → diagnostics: never a panic, and every range lies on char boundaries inside the
//! text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proctor_linter::{RuleSet, Settings, Workspace, check_source};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let mut settings = Settings::default();
    settings.rules = RuleSet::all();
    let output = check_source(
        source,
        Some(std::path::Path::new("test_fuzz.py")),
        &settings,
        &Workspace::empty(),
    );
    assert!(
        output.panics.is_empty(),
        "a rule panicked: {:?}",
        output.panics
    );
    for diagnostic in &output.diagnostics {
        let range = diagnostic.range;
        assert!(range.start <= range.end && range.end <= source.len());
        assert!(source.is_char_boundary(range.start) && source.is_char_boundary(range.end));
        if let Some(fix) = &diagnostic.fix {
            for edit in &fix.edits {
                assert!(edit.range.end <= source.len());
                assert!(
                    source.is_char_boundary(edit.range.start)
                        && source.is_char_boundary(edit.range.end)
                );
            }
        }
    }
});
