//! Replays edits the way a client sends them and compares the server's incremental state with
//! a fresh parse of the final text: the property behind the proptest in
//! `tests/incremental.rs` and the `edit_sequence` fuzz target.

use std::path::PathBuf;
use std::sync::Arc;

use proctor_linter::{LineIndex, Settings, Workspace};
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent};
use tree_sitter::Tree;

use crate::analysis::{Analyzer, CheckConfig, Mode};
use crate::document::DocumentText;
use crate::position::{Encoding, position};

/// Pieces of Python that make random edits meaningful to the rules, line breaks of every kind
/// and non-ASCII text included.
pub const PIECES: &[&str] = &[
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

/// A node of a tree as the comparison sees it: kind, byte range, error and missing flags.
pub type NodeFacts = (String, usize, usize, bool, bool);

/// Every node of a tree, in document order.
pub fn dump(tree: &Tree) -> Vec<NodeFacts> {
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

/// A document being edited: the server's incremental state beside a plain model of its text.
pub struct Replay {
    encoding: Encoding,
    config: CheckConfig,
    model: String,
    doc: DocumentText,
    analyzer: Analyzer,
    seq: u64,
}

impl Replay {
    /// A test file holding `text`, edited with positions in `encoding`.
    pub fn new(text: String, encoding: Encoding) -> Self {
        Self {
            encoding,
            config: CheckConfig::new(
                Arc::new(Settings::default()),
                Some(PathBuf::from("/p/tests/test_replay.py")),
                true,
                Arc::new(Workspace::empty()),
            ),
            model: text.clone(),
            doc: DocumentText::new(text, 1, 1),
            analyzer: Analyzer::new(),
            seq: 1,
        }
    }

    /// Replaces `length` bytes at `at` (a fraction of the text's length, so any edit applies
    /// to any text; moved to a character boundary, never between a `\r` and its `\n`) with
    /// `piece`, as a client's range change; with `overshoot`, the range lies past the end of
    /// the document (the server clamps it: the piece is appended). `Err` when the server's
    /// text or line index differs from the model's afterwards.
    pub fn edit(
        &mut self,
        at: f64,
        length: usize,
        piece: &str,
        overshoot: bool,
    ) -> Result<(), String> {
        let model = &self.model;
        let lines = LineIndex::new(model);
        let mut start = ((model.len() as f64) * at.clamp(0.0, 1.0)) as usize;
        while !model.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = start.saturating_add(length).min(model.len());
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
        let (lsp_start, lsp_end) = if overshoot {
            let past = Position::new(lines.line_count() as u32 + 3, 7);
            start = model.len();
            end = model.len();
            (past, past)
        } else {
            (
                position(model, &lines, start, self.encoding),
                position(model, &lines, end, self.encoding),
            )
        };
        self.model.replace_range(start..end, piece);
        self.seq += 1;
        self.doc.apply(
            &[TextDocumentContentChangeEvent {
                range: Some(Range::new(lsp_start, lsp_end)),
                range_length: None,
                text: piece.to_string(),
            }],
            self.seq as i32,
            self.seq,
            self.encoding,
        );
        if self.doc.current.text.as_str() != self.model {
            return Err(format!(
                "document text {:?} differs from {:?}",
                self.doc.current.text, self.model
            ));
        }
        if *self.doc.current.lines != LineIndex::new(&self.model) {
            return Err(format!("line index of {:?} is off", self.model));
        }
        Ok(())
    }

    /// Analyzes the current text, as a request would (exactly, or with no parse budget).
    pub fn analyze(&mut self, mode: Mode) -> Result<(), String> {
        let changes = self
            .doc
            .changes_between(self.analyzer.tree_seq().unwrap_or(0), self.seq);
        let never = || None;
        self.analyzer
            .analyze(&self.doc.current, &changes, &self.config, mode, &never)
            .map_err(|stop| format!("the analysis stopped: {stop:?}"))?;
        if let Some(seq) = self.analyzer.tree_seq() {
            self.doc.trim(seq);
        }
        Ok(())
    }

    /// A complete analysis of the final text; `Err` unless its tree and diagnostics equal a
    /// fresh parse's and check's.
    pub fn finish(mut self) -> Result<(), String> {
        let changes = self
            .doc
            .changes_between(self.analyzer.tree_seq().unwrap_or(0), self.seq);
        let never = || None;
        let analysis = self
            .analyzer
            .analyze(
                &self.doc.current,
                &changes,
                &self.config,
                Mode::Exact,
                &never,
            )
            .map_err(|stop| format!("the analysis stopped: {stop:?}"))?;
        let fresh_tree = proctor_linter::parse::parse(&self.model, None);
        let fresh = proctor_linter::check_tree(
            &fresh_tree,
            &self.model,
            self.config.path.as_deref(),
            &self.config.settings,
            &self.config.workspace,
        );
        let tree = analysis
            .complete_tree()
            .ok_or("an exact analysis keeps its tree")?;
        if dump(tree) != dump(&fresh_tree) {
            return Err(format!(
                "the tree of {:?} differs from a fresh parse",
                self.model
            ));
        }
        if analysis.diagnostics != fresh.diagnostics {
            return Err(format!(
                "the diagnostics of {:?} differ from a fresh check: {:?} vs {:?}",
                self.model, analysis.diagnostics, fresh.diagnostics
            ));
        }
        Ok(())
    }
}
