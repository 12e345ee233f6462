//! Random edit sequences: the incremental document, tree and diagnostics always equal those
//! of a fresh parse of the final text.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use proctor_linter::{LineIndex, Settings, Workspace};
use proctor_server::analysis::{Analyzer, CheckConfig, Mode};
use proctor_server::document::DocumentText;
use proctor_server::position::{Encoding, position};
use proptest::prelude::*;
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent};
use tree_sitter::Tree;

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

fn config() -> CheckConfig {
    CheckConfig::new(
        Arc::new(Settings::default()),
        Some(PathBuf::from("/p/tests/test_prop.py")),
        true,
        Arc::new(Workspace::empty()),
    )
}

/// Every node of a tree: kind, byte range, error and missing flags.
fn dump(tree: &Tree) -> Vec<(String, usize, usize, bool, bool)> {
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        out.push((
            node.kind().to_string(),
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
    let config = config();
    let text: String = initial.iter().map(|&i| PIECES[i]).collect();
    let mut model = text.clone();
    let mut doc = DocumentText::new(text, 1, 1);
    let mut analyzer = Analyzer::new();
    let never = || None;
    for (i, edit) in edits.iter().enumerate() {
        let seq = 2 + i as u64;
        let lines = LineIndex::new(&model);
        let mut start = ((model.len() as f64) * edit.start) as usize;
        while !model.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + edit.length).min(model.len());
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
        let piece = PIECES[edit.piece];
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
        prop_assert_eq!(doc.current.text.as_str(), model.as_str());
        prop_assert_eq!(&*doc.current.lines, &LineIndex::new(&model));
        if let Some(exact) = edit.analyze {
            let mode = if exact {
                Mode::Exact
            } else {
                Mode::Budget(Duration::ZERO)
            };
            let changes = doc.changes_between(analyzer.tree_seq().unwrap_or(0), seq);
            analyzer
                .analyze(&doc.current, &changes, &config, mode, &never)
                .unwrap();
            if let Some(seq) = analyzer.tree_seq() {
                doc.trim(seq);
            }
        }
    }
    let seq = 1 + edits.len() as u64;
    let changes = doc.changes_between(analyzer.tree_seq().unwrap_or(0), seq);
    let analysis = analyzer
        .analyze(&doc.current, &changes, &config, Mode::Exact, &never)
        .unwrap();
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
    prop_assert_eq!(dump(tree), dump(&fresh_tree), "text: {:?}", model);
    prop_assert_eq!(
        &analysis.diagnostics,
        &fresh.diagnostics,
        "text: {:?}",
        model
    );
    Ok(())
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
