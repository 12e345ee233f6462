//! Byte ranges and line/column conversion.
//!
//! Everything inside the linter speaks byte offsets into the source text. Lines are split the
//! way Python and the Language Server Protocol both split them: at `\n`, `\r\n` and a lone `\r`.
//! (tree-sitter's own row numbers only count `\n`, so they are never used for positions.)

use std::fmt;
use std::ops::Range;

/// A half-open byte range `[start, end)` in a source text.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TextRange {
    pub start: usize,
    pub end: usize,
}

impl TextRange {
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// An empty range at `offset`, used for insertions.
    pub const fn empty(offset: usize) -> Self {
        Self {
            start: offset,
            end: offset,
        }
    }

    pub fn of(node: tree_sitter::Node) -> Self {
        Self {
            start: node.start_byte(),
            end: node.end_byte(),
        }
    }

    pub const fn len(self) -> usize {
        self.end - self.start
    }

    pub const fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn contains(self, offset: usize) -> bool {
        self.start <= offset && offset < self.end
    }

    pub fn contains_range(self, other: TextRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn intersects(self, other: TextRange) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// The range moved by `delta` bytes.
    pub fn shifted(self, delta: isize) -> Self {
        Self {
            start: self.start.saturating_add_signed(delta),
            end: self.end.saturating_add_signed(delta),
        }
    }

    pub fn as_range(self) -> Range<usize> {
        self.start..self.end
    }
}

impl fmt::Debug for TextRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A 1-based line and column, the column counted in Unicode code points (the CLI's unit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineColumn {
    pub line: usize,
    pub column: usize,
}

/// The start offset of every line of a text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        let mut i = 0;
        while let Some(found) = memchr::memchr2(b'\n', b'\r', bytes.get(i..).unwrap_or(&[])) {
            i += found;
            if bytes.get(i) == Some(&b'\r') && bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            starts.push(i + 1);
            i += 1;
        }
        Self {
            starts,
            len: text.len(),
        }
    }

    /// Updates the index after the bytes `[start, old_end)` of the old text were replaced by
    /// `inserted_len` bytes; `text` is the new text. Costs a shift of the later line starts
    /// instead of a scan of the whole text (the language server calls it on every keystroke).
    pub fn apply_edit(&mut self, start: usize, old_end: usize, inserted_len: usize, text: &str) {
        let old_end = old_end.max(start);
        let delta = inserted_len as isize - (old_end - start) as isize;
        // Whether `p` starts a line depends only on the bytes at `p - 1` and `p`, so only the
        // starts in `[start, start + inserted_len]` (new coordinates) can change status; the
        // ones after the edit just move.
        let first = self.starts.partition_point(|&s| s < start).max(1);
        let last = self.starts.partition_point(|&s| s <= old_end).max(first);
        let bytes = text.as_bytes();
        let is_start = |p: usize| match bytes.get(p.wrapping_sub(1)) {
            Some(b'\n') => true,
            Some(b'\r') => bytes.get(p) != Some(&b'\n'),
            _ => false,
        };
        let window_end = (start + inserted_len).min(text.len());
        let recomputed: Vec<usize> = (start.max(1)..=window_end)
            .filter(|&p| is_start(p))
            .collect();
        for s in &mut self.starts[last..] {
            *s = s.saturating_add_signed(delta);
        }
        self.starts.splice(first..last, recomputed);
        self.len = text.len();
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// The 0-based line holding `offset` (offsets past the end land on the last line).
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.len);
        match self.starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// The byte offset where 0-based `line` starts; past the last line, the end of the text.
    pub fn line_start(&self, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(self.len)
    }

    /// The byte range of 0-based `line`, without its line break.
    pub fn line_range(&self, line: usize, text: &str) -> TextRange {
        let start = self.line_start(line);
        let mut end = self.starts.get(line + 1).copied().unwrap_or(self.len);
        let bytes = text.as_bytes();
        while end > start && matches!(bytes.get(end - 1), Some(b'\n' | b'\r')) {
            end -= 1;
        }
        TextRange::new(start, end)
    }

    /// 1-based line and code-point column of `offset`.
    pub fn line_column(&self, text: &str, offset: usize) -> LineColumn {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let start = self.line_start(line);
        let column = text[start..offset].chars().count();
        LineColumn {
            line: line + 1,
            column: column + 1,
        }
    }

    /// The byte offset of a 1-based line and code-point column, clamped into the text.
    pub fn offset_of(&self, text: &str, position: LineColumn) -> usize {
        let line = position.line.saturating_sub(1);
        if line >= self.starts.len() {
            return text.len();
        }
        let range = self.line_range(line, text);
        let wanted = position.column.saturating_sub(1);
        text[range.as_range()]
            .char_indices()
            .nth(wanted)
            .map_or(range.end, |(i, _)| range.start + i)
    }
}

/// The largest char boundary at or below `offset`.
pub fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The indentation (leading spaces and tabs) of the line holding `offset`.
pub fn indentation_at<'a>(text: &'a str, index: &LineIndex, offset: usize) -> &'a str {
    let range = index.line_range(index.line_of(offset), text);
    let line = &text[range.as_range()];
    let trimmed = line.trim_start_matches([' ', '\t']);
    &line[..line.len() - trimmed.len()]
}

/// The line break the text uses (the first one found), `\n` by default.
pub fn line_ending(text: &str) -> &'static str {
    match text.find(['\n', '\r']) {
        Some(i) if text[i..].starts_with("\r\n") => "\r\n",
        Some(i) if text.as_bytes()[i] == b'\r' => "\r",
        _ => "\n",
    }
}

/// Source text quoted in a message: runs of whitespace (line breaks included) collapsed to one
/// space, and cut to at most `max` characters with `…` when longer.
pub fn snippet(text: &str, max: usize) -> String {
    let mut collapsed = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = !collapsed.is_empty();
            continue;
        }
        // A line break inside brackets is layout: `f(\n    a,\n)` reads as `f(a,)`.
        if pending_space && !matches!(c, ')' | ']' | '}') && !collapsed.ends_with(['(', '[', '{']) {
            collapsed.push(' ');
        }
        pending_space = false;
        collapsed.push(c);
    }
    if collapsed.chars().count() <= max {
        return collapsed;
    }
    let mut out: String = collapsed.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_collapse_and_cut() {
        assert_eq!(snippet("f(a,\n     b)", 20), "f(a, b)");
        assert_eq!(snippet("abcdef", 4), "abc…");
        assert_eq!(snippet("f(\n    a,\n    b,\n)", 20), "f(a, b,)");
    }

    #[test]
    fn lines_split_at_every_kind_of_break() {
        let text = "a\nb\r\nc\rd";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        assert_eq!(index.line_range(1, text), TextRange::new(2, 3));
        assert_eq!(
            index.line_column(text, 7),
            LineColumn { line: 4, column: 1 }
        );
        assert_eq!(
            index.line_column(text, 5),
            LineColumn { line: 3, column: 1 }
        );
    }

    #[test]
    fn line_starts_follow_every_break() {
        for text in [
            "",
            "\n",
            "\r",
            "\r\n",
            "\n\r",
            "\r\r\n\n",
            "a\r",
            "é\r\néé\nx",
        ] {
            let index = LineIndex::new(text);
            let mut expected = vec![0];
            let bytes = text.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                if matches!(bytes[i], b'\n' | b'\r') {
                    expected.push(i + 1);
                }
                i += 1;
            }
            assert_eq!(index.starts, expected, "{text:?}");
        }
    }

    #[test]
    fn columns_count_code_points() {
        let text = "x = 'héllo' + y\n";
        let index = LineIndex::new(text);
        let y = text.find('y').unwrap();
        assert_eq!(
            index.line_column(text, y),
            LineColumn {
                line: 1,
                column: 15
            }
        );
        assert_eq!(
            index.offset_of(
                text,
                LineColumn {
                    line: 1,
                    column: 15
                }
            ),
            y
        );
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let text = "ab\ncd";
        let index = LineIndex::new(text);
        assert_eq!(
            index.offset_of(text, LineColumn { line: 9, column: 9 }),
            text.len()
        );
        assert_eq!(
            index.offset_of(
                text,
                LineColumn {
                    line: 1,
                    column: 99
                }
            ),
            2
        );
        assert_eq!(
            index.line_column(text, 999),
            LineColumn { line: 2, column: 3 }
        );
    }

    #[test]
    fn edits_update_the_index_like_a_rebuild() {
        let cases: &[(&str, usize, usize, &str)] = &[
            ("a\nb\nc", 1, 3, ""),
            ("a\r\nb", 1, 1, "x"),
            ("a\r\nb", 2, 2, "x"),
            ("a\rb", 2, 2, "\n"),
            ("a\r\nb", 2, 3, ""),
            ("", 0, 0, "x\ry\r\nz\n"),
            ("abc\n", 4, 4, "\r"),
            ("x\ny", 0, 3, "\n\n"),
            ("\r\n\r\n", 1, 3, ""),
        ];
        for &(old, start, end, inserted) in cases {
            let mut index = LineIndex::new(old);
            let new = format!("{}{}{}", &old[..start], inserted, &old[end..]);
            index.apply_edit(start, end, inserted.len(), &new);
            assert_eq!(
                index,
                LineIndex::new(&new),
                "{old:?} [{start}, {end}) <- {inserted:?}"
            );
        }
    }

    #[test]
    fn line_endings_are_detected() {
        assert_eq!(line_ending("a\r\nb"), "\r\n");
        assert_eq!(line_ending("a\rb"), "\r");
        assert_eq!(line_ending("ab"), "\n");
    }
}
