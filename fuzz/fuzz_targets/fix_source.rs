//! Any source → fixing never adds syntax errors and reaches a fixed point.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proctor_linter::fix::{FixMode, error_count, fix_source};
use proctor_linter::parse::parse;
use proctor_linter::{RuleSet, Settings, Workspace};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let mut settings = Settings::default();
    settings.rules = RuleSet::all();
    let path = Some(std::path::Path::new("test_fuzz.py"));
    let before = error_count(&parse(source, None));
    let fixed = fix_source(
        source,
        path,
        &settings,
        &Workspace::empty(),
        FixMode::Unsafe,
    );
    assert!(
        error_count(&parse(&fixed.source, None)) <= before,
        "a fix added a syntax error"
    );
});
