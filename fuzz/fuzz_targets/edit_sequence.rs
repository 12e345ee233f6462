//! Edit sequences: after any edits, applied as a language client sends them, the server's
//! incremental document, tree and diagnostics equal those of a fresh parse of the final text.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use proctor_server::analysis::Mode;
use proctor_server::position::Encoding;
use proctor_server::replay::{PIECES, Replay};

#[derive(Arbitrary, Debug)]
enum Text {
    /// One of the pieces of Python that matter to the rules (a fuzzer rarely types `def`).
    Piece(u8),
    Raw(String),
}

impl Text {
    fn as_str(&self) -> &str {
        match self {
            Text::Piece(i) => PIECES[*i as usize % PIECES.len()],
            Text::Raw(s) => s,
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Edit {
    /// Where, as a fraction of the text's length.
    at: u16,
    length: u8,
    text: Text,
    /// Sometimes a range past the end of the document, to check clamping.
    overshoot: bool,
    /// 0: no analysis after this edit; 1: an exact one; 2: one with no parse budget.
    analyze: u8,
}

#[derive(Arbitrary, Debug)]
struct Input {
    utf16: bool,
    initial: Vec<Text>,
    edits: Vec<Edit>,
}

fuzz_target!(|input: Input| {
    let encoding = if input.utf16 {
        Encoding::Utf16
    } else {
        Encoding::Utf8
    };
    let text: String = input.initial.iter().map(Text::as_str).collect();
    let mut replay = Replay::new(text, encoding);
    for edit in input.edits.iter().take(64) {
        let at = f64::from(edit.at) / f64::from(u16::MAX);
        let applied = replay.edit(at, edit.length.into(), edit.text.as_str(), edit.overshoot);
        if let Err(problem) = applied {
            panic!("{problem}");
        }
        let mode = match edit.analyze % 3 {
            0 => continue,
            1 => Mode::Exact,
            _ => Mode::Budget(Duration::ZERO),
        };
        if let Err(problem) = replay.analyze(mode) {
            panic!("{problem}");
        }
    }
    if let Err(problem) = replay.finish() {
        panic!("{problem}");
    }
});
