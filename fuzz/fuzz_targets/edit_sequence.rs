//! Edit sequences: after any edits, applied as a language client sends them, the server's
//! incremental document, tree and diagnostics equal those of a fresh parse of the final text.
#![no_main]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use proctor_linter::{LineIndex, Settings, Workspace};
use proctor_server::analysis::{Analyzer, CheckConfig, Mode};
use proctor_server::document::DocumentText;
use proctor_server::position::{Encoding, position};
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent};
use tree_sitter::Tree;

/// Pieces of Python that make edits meaningful to the rules (a fuzzer rarely types `def`).
const PIECES: &[&str] = &[
    "import time\n",
    "class TestA:\n",
    "    def test_x(self):\n",
    "        time.sleep(1)\n",
    "        \"\"\"Doc.\"\"\"\n",
    "def test_y():\n    pass\n",
    "    def helper(self):\n        return 'é🙂'\n",
    "x = (\n",
    ")\n",
    "\r\n",
    "\r",
    "é",
    "🙂",
    "    ",
    "\n",
    "(",
    "\"\"\"",
    "# noqa\n",
    "@decorator\n",
    "async def test_z():\n    await f()\n",
];

#[derive(Arbitrary, Debug)]
enum Text {
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
    /// Where, as a fraction of the text's length (so any edit applies to any text).
    start: u16,
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

/// Every node of a tree: kind, byte range, error and missing flags.
fn dump(tree: &Tree) -> Vec<(&str, usize, usize, bool, bool)> {
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        out.push((
            node.kind(),
            node.start_byte(),
            node.end_byte(),
            node.is_error(),
            node.is_missing(),
        ));
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

fuzz_target!(|input: Input| {
    let encoding = if input.utf16 {
        Encoding::Utf16
    } else {
        Encoding::Utf8
    };
    let config = CheckConfig::new(
        Arc::new(Settings::default()),
        Some(PathBuf::from("/p/tests/test_fuzz.py")),
        true,
        Arc::new(Workspace::empty()),
    );
    let text: String = input.initial.iter().map(Text::as_str).collect();
    let mut model = text.clone();
    let mut doc = DocumentText::new(text, 1, 1);
    let mut analyzer = Analyzer::new();
    let never = || None;
    for (i, edit) in input.edits.iter().take(64).enumerate() {
        let seq = 2 + i as u64;
        let lines = LineIndex::new(&model);
        let mut start = model.len() * edit.start as usize / u16::MAX as usize;
        while !model.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + edit.length as usize).min(model.len());
        while !model.is_char_boundary(end) {
            end += 1;
        }
        // LSP positions cannot point between the `\r` and `\n` of a line break.
        let inside_crlf =
            |at: usize| at > 0 && model[..at].ends_with('\r') && model[at..].starts_with('\n');
        if inside_crlf(start) {
            start -= 1;
        }
        if inside_crlf(end) {
            end -= 1;
        }
        let (lsp_start, lsp_end) = if edit.overshoot {
            let past = Position::new(lines.line_count() as u32 + 3, 7);
            start = model.len();
            end = model.len();
            (past, past)
        } else {
            (
                position(&model, &lines, start, encoding),
                position(&model, &lines, end, encoding),
            )
        };
        let piece = edit.text.as_str();
        model.replace_range(start..end, piece);
        doc.apply(
            &[TextDocumentContentChangeEvent {
                range: Some(Range::new(lsp_start, lsp_end)),
                range_length: None,
                text: piece.to_string(),
            }],
            seq as i32,
            seq,
            encoding,
        );
        assert_eq!(doc.current.text.as_str(), model.as_str());
        assert_eq!(&*doc.current.lines, &LineIndex::new(&model));
        let mode = match edit.analyze % 3 {
            0 => continue,
            1 => Mode::Exact,
            _ => Mode::Budget(Duration::ZERO),
        };
        let changes = doc.changes_between(analyzer.tree_seq().unwrap_or(0), seq);
        analyzer
            .analyze(&doc.current, &changes, &config, mode, &never)
            .expect("nothing stops this analysis");
        if let Some(seq) = analyzer.tree_seq() {
            doc.trim(seq);
        }
    }
    let seq = 1 + input.edits.len().min(64) as u64;
    let changes = doc.changes_between(analyzer.tree_seq().unwrap_or(0), seq);
    let analysis = analyzer
        .analyze(&doc.current, &changes, &config, Mode::Exact, &never)
        .expect("nothing stops this analysis");
    let fresh_tree = proctor_linter::parse::parse(&model, None);
    let fresh = proctor_linter::check_tree(
        &fresh_tree,
        &model,
        config.path.as_deref(),
        &config.settings,
        &config.workspace,
    );
    let tree = analysis
        .complete_tree()
        .expect("an exact analysis keeps its tree");
    assert_eq!(dump(tree), dump(&fresh_tree), "text: {model:?}");
    assert_eq!(analysis.diagnostics, fresh.diagnostics, "text: {model:?}");
});
