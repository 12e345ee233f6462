//! Random edit sequences: the incremental document, tree and diagnostics always equal those
//! of a fresh parse of the final text.

use std::time::Duration;

use proctor_server::analysis::Mode;
use proctor_server::position::Encoding;
use proctor_server::replay::{PIECES, Replay};
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct Edit {
    /// Where, as fractions of the text (so any edit applies to any text).
    start: f64,
    length: usize,
    piece: usize,
    /// Sometimes past the end, to check clamping.
    overshoot: bool,
    /// Analyze after this edit, and how.
    analyze: Option<bool>,
}

fn edit() -> impl Strategy<Value = Edit> {
    (
        0.0..=1.0f64,
        prop_oneof![Just(0usize), 0usize..4, 0usize..40],
        0..PIECES.len(),
        prop::bool::weighted(0.05),
        prop_oneof![Just(None), Just(Some(true)), Just(Some(false))],
    )
        .prop_map(|(start, length, piece, overshoot, analyze)| Edit {
            start,
            length,
            piece,
            overshoot,
            analyze,
        })
}

fn run(initial: &[usize], edits: &[Edit], encoding: Encoding) -> Result<(), TestCaseError> {
    let text: String = initial.iter().map(|&i| PIECES[i]).collect();
    let mut replay = Replay::new(text, encoding);
    for edit in edits {
        replay
            .edit(edit.start, edit.length, PIECES[edit.piece], edit.overshoot)
            .map_err(TestCaseError::fail)?;
        if let Some(exact) = edit.analyze {
            let mode = if exact {
                Mode::Exact
            } else {
                Mode::Budget(Duration::ZERO)
            };
            replay.analyze(mode).map_err(TestCaseError::fail)?;
        }
    }
    replay.finish().map_err(TestCaseError::fail)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_edits_match_a_fresh_parse_utf16(
        initial in prop::collection::vec(0..PIECES.len(), 0..12),
        edits in prop::collection::vec(edit(), 1..40),
    ) {
        run(&initial, &edits, Encoding::Utf16)?;
    }

    #[test]
    fn random_edits_match_a_fresh_parse_utf8(
        initial in prop::collection::vec(0..PIECES.len(), 0..12),
        edits in prop::collection::vec(edit(), 1..40),
    ) {
        run(&initial, &edits, Encoding::Utf8)?;
    }
}
