//! The text of an open document, changed in place by `didChange` notifications.
//!
//! Every change is applied to the text and its line index at once, and recorded as a
//! tree-sitter [`InputEdit`] in an edit log, so the analyzer can later bring its last syntax
//! tree up to any version with `Tree::edit` and reparse incrementally. Each applied change bumps
//! a sequence number; a [`Snapshot`] is an immutable view of the text at one sequence number.

use std::sync::Arc;

use proctor_linter::LineIndex;
use tower_lsp_server::ls_types::TextDocumentContentChangeEvent;
use tree_sitter::{InputEdit, Point};

use crate::position::{Encoding, text_range};

/// The text at one moment, shared by every request that arrived at that moment.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Increases with every applied change; identifies the text.
    pub seq: u64,
    /// The client's version number for this text.
    pub version: i32,
    pub text: Arc<String>,
    pub lines: Arc<LineIndex>,
    /// Whether the text holds a `\r` not followed by `\n` (tree-sitter rows then differ from
    /// LSP lines, which split there too).
    pub lone_cr: bool,
}

impl Snapshot {
    /// tree-sitter's point for a byte offset: rows count `\n` only, columns are bytes.
    pub fn point(&self, offset: usize) -> Point {
        ts_point(&self.text, &self.lines, self.lone_cr, offset)
    }
}

/// One entry of the edit log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A ranged change, as tree-sitter needs it.
    Edit(InputEdit),
    /// The whole text was replaced: no old tree is of use any more.
    Replace,
}

/// The current text of a document, and the changes since the analyzer last caught up.
#[derive(Debug)]
pub struct DocumentText {
    pub current: Snapshot,
    /// `(seq, change)`, oldest first. The analyzer trims what it has consumed.
    pub log: Vec<(u64, Change)>,
}

impl DocumentText {
    pub fn new(text: String, version: i32, seq: u64) -> Self {
        let lines = LineIndex::new(&text);
        let lone_cr = has_lone_cr(text.as_bytes());
        Self {
            current: Snapshot {
                seq,
                version,
                text: Arc::new(text),
                lines: Arc::new(lines),
                lone_cr,
            },
            log: Vec::new(),
        }
    }

    /// Applies the content changes of one `didChange`, in order, and records them.
    pub fn apply(
        &mut self,
        changes: &[TextDocumentContentChangeEvent],
        version: i32,
        seq: u64,
        encoding: Encoding,
    ) {
        let mut text: String = self.current.text.as_str().to_owned();
        let mut lines: LineIndex = (*self.current.lines).clone();
        let mut lone_cr = self.current.lone_cr;
        for change in changes {
            match change.range {
                None => {
                    text.clear();
                    text.push_str(&change.text);
                    lines = LineIndex::new(&text);
                    lone_cr = has_lone_cr(text.as_bytes());
                    self.log.push((seq, Change::Replace));
                }
                Some(range) => {
                    let byte_range = text_range(&text, &lines, range, encoding);
                    let (start, old_end) = (byte_range.start, byte_range.end);
                    let start_position = ts_point(&text, &lines, lone_cr, start);
                    let old_end_position = ts_point(&text, &lines, lone_cr, old_end);
                    text.replace_range(start..old_end, &change.text);
                    let new_end = start + change.text.len();
                    lines.apply_edit(start, old_end, change.text.len(), &text);
                    lone_cr = if lone_cr {
                        has_lone_cr(text.as_bytes())
                    } else {
                        // Only the bytes around the change can have made a new lone `\r`.
                        let from = start.saturating_sub(1);
                        let to = (new_end + 1).min(text.len());
                        lone_cr_between(text.as_bytes(), from, to)
                    };
                    let new_end_position = ts_point(&text, &lines, lone_cr, new_end);
                    self.log.push((
                        seq,
                        Change::Edit(InputEdit {
                            start_byte: start,
                            old_end_byte: old_end,
                            new_end_byte: new_end,
                            start_position,
                            old_end_position,
                            new_end_position,
                        }),
                    ));
                }
            }
        }
        self.current = Snapshot {
            seq,
            version,
            text: Arc::new(text),
            lines: Arc::new(lines),
            lone_cr,
        };
    }

    /// The log entries after `after`, up to and including `upto`.
    pub fn changes_between(&self, after: u64, upto: u64) -> Vec<(u64, Change)> {
        let first = self.log.partition_point(|(seq, _)| *seq <= after);
        self.log[first..]
            .iter()
            .take_while(|(seq, _)| *seq <= upto)
            .copied()
            .collect()
    }

    /// Forgets log entries up to and including `seq` (the analyzer has them).
    pub fn trim(&mut self, seq: u64) {
        let first = self.log.partition_point(|(s, _)| *s <= seq);
        self.log.drain(..first);
    }
}

/// tree-sitter's point for a byte offset of `text`.
pub fn ts_point(text: &str, lines: &LineIndex, lone_cr: bool, offset: usize) -> Point {
    let offset = offset.min(text.len());
    if !lone_cr {
        // Without lone `\r`s, LSP lines and tree-sitter rows are the same lines.
        let line = lines.line_of(offset);
        return Point::new(line, offset - lines.line_start(line));
    }
    let before = &text.as_bytes()[..offset];
    let row = before.iter().filter(|&&b| b == b'\n').count();
    let column = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
    Point::new(row, column)
}

/// Whether the bytes hold a `\r` not followed by `\n` (a `\r` at the very end counts).
pub fn has_lone_cr(bytes: &[u8]) -> bool {
    lone_cr_between(bytes, 0, bytes.len())
}

fn lone_cr_between(bytes: &[u8], from: usize, to: usize) -> bool {
    (from..to).any(|i| bytes.get(i) == Some(&b'\r') && bytes.get(i + 1) != Some(&b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::{Position, Range};

    fn change(l1: u32, c1: u32, l2: u32, c2: u32, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l1, c1), Position::new(l2, c2))),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn changes_apply_in_order_and_are_logged() {
        let mut doc = DocumentText::new("ab\ncd\n".into(), 1, 1);
        doc.apply(
            &[change(0, 1, 1, 1, "X"), change(0, 0, 0, 0, "é")],
            2,
            2,
            Encoding::Utf16,
        );
        assert_eq!(doc.current.text.as_str(), "éaXd\n");
        assert_eq!(*doc.current.lines, LineIndex::new("éaXd\n"));
        assert_eq!(doc.log.len(), 2);
        let Change::Edit(first) = doc.log[0].1 else {
            panic!()
        };
        assert_eq!(
            (first.start_byte, first.old_end_byte, first.new_end_byte),
            (1, 4, 2)
        );
        assert_eq!(first.old_end_position, Point::new(1, 1));
    }

    #[test]
    fn lone_carriage_returns_are_tracked() {
        let mut doc = DocumentText::new("a\r\nb".into(), 1, 1);
        assert!(!doc.current.lone_cr);
        // Deleting the `\n` of a `\r\n` leaves a lone `\r`.
        doc.apply(&[change(0, 1, 1, 0, "\r")], 2, 2, Encoding::Utf8);
        assert!(doc.current.lone_cr);
        assert_eq!(doc.current.point(2), Point::new(0, 2));
        doc.apply(&[change(0, 1, 1, 0, "\n")], 3, 3, Encoding::Utf8);
        assert!(!doc.current.lone_cr);
    }
}
