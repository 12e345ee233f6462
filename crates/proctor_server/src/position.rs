//! LSP positions ↔ byte offsets, in the negotiated encoding.
//!
//! Lines split at `\n`, `\r\n` and a lone `\r`, like the protocol says (the linter's
//! [`LineIndex`] splits them the same way). Every conversion clamps: a line past the end means
//! the end of the text, a character past the end of its line means the end of the line (before
//! its line break), and a character inside a code point (a UTF-8 byte or the second half of a
//! UTF-16 surrogate pair) means the start of that code point.

use proctor_linter::text::floor_char_boundary;
use proctor_linter::{LineIndex, TextRange};
use tower_lsp_server::ls_types::{Position, PositionEncodingKind, Range};

/// The unit of `Position.character`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    /// Bytes of UTF-8: what the linter uses, so no conversion cost.
    Utf8,
    /// UTF-16 code units: the protocol's default.
    #[default]
    Utf16,
}

impl Encoding {
    /// UTF-8 when the client offers it, else UTF-16 (which every client must support).
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        let offered = offered.unwrap_or_default();
        if offered.contains(&PositionEncodingKind::UTF8) {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }
    }
}

/// The byte offset of an LSP position, clamped into the text.
pub fn offset(text: &str, lines: &LineIndex, position: Position, encoding: Encoding) -> usize {
    let line = position.line as usize;
    if line >= lines.line_count() {
        return text.len();
    }
    let range = lines.line_range(line, text);
    let Some(content) = text.get(range.as_range()) else {
        return floor_char_boundary(text, range.start);
    };
    let character = position.character as usize;
    match encoding {
        Encoding::Utf8 => range.start + floor_char_boundary(content, character),
        Encoding::Utf16 => {
            let mut units = 0;
            for (index, c) in content.char_indices() {
                let next = units + c.len_utf16();
                if next > character {
                    return range.start + index;
                }
                units = next;
            }
            range.end
        }
    }
}

/// The LSP position of a byte offset (clamped into the text and onto a code point).
pub fn position(text: &str, lines: &LineIndex, offset: usize, encoding: Encoding) -> Position {
    Positioner::new(text, lines, encoding).position(offset)
}

/// [`position`] for offsets that mostly come in order (a sorted list of findings): each
/// lookup tries the line of the previous one, and the next, before searching.
pub struct Positioner<'a> {
    text: &'a str,
    lines: &'a LineIndex,
    encoding: Encoding,
    line: usize,
}

impl<'a> Positioner<'a> {
    pub fn new(text: &'a str, lines: &'a LineIndex, encoding: Encoding) -> Self {
        Self {
            text,
            lines,
            encoding,
            line: 0,
        }
    }

    pub fn position(&mut self, offset: usize) -> Position {
        let offset = floor_char_boundary(self.text, offset);
        let lines = self.lines;
        let on =
            |line: usize| lines.line_start(line) <= offset && offset < lines.line_start(line + 1);
        let line = if on(self.line) {
            self.line
        } else if on(self.line + 1) {
            self.line + 1
        } else {
            lines.line_of(offset)
        };
        self.line = line;
        let range = lines.line_range(line, self.text);
        let end = offset.clamp(range.start, range.end);
        let prefix = self.text.get(range.start..end).unwrap_or("");
        let character = match self.encoding {
            Encoding::Utf8 => prefix.len(),
            Encoding::Utf16 => prefix.chars().map(char::len_utf16).sum(),
        };
        Position::new(line as u32, character as u32)
    }

    pub fn range(&mut self, range: TextRange) -> Range {
        Range::new(self.position(range.start), self.position(range.end))
    }
}

pub fn range(text: &str, lines: &LineIndex, range: TextRange, encoding: Encoding) -> Range {
    Range::new(
        position(text, lines, range.start, encoding),
        position(text, lines, range.end, encoding),
    )
}

/// The byte range of an LSP range; a reversed range is put in order.
pub fn text_range(text: &str, lines: &LineIndex, range: Range, encoding: Encoding) -> TextRange {
    let a = offset(text, lines, range.start, encoding);
    let b = offset(text, lines, range.end, encoding);
    TextRange::new(a.min(b), a.max(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str, encoding: Encoding) {
        let lines = LineIndex::new(text);
        for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
            let p = position(text, &lines, offset, encoding);
            let back = self::offset(text, &lines, p, encoding);
            // Offsets inside a line break map to the end of the line's content.
            let line = lines.line_range(lines.line_of(offset), text);
            assert_eq!(back, offset.min(line.end), "{text:?} @ {offset} -> {p:?}");
        }
    }

    #[test]
    fn positions_round_trip_in_both_encodings() {
        for text in [
            "x = 'héllo' + y\n",
            "a = '𝄞'\r\nb = 2\rc = 3",
            "",
            "\r\n\r\n",
            "日本語\n🙂🙂\n",
        ] {
            round_trip(text, Encoding::Utf8);
            round_trip(text, Encoding::Utf16);
        }
    }

    #[test]
    fn utf16_counts_surrogate_pairs() {
        let text = "s = '🙂' + x\n";
        let lines = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(
            position(text, &lines, x, Encoding::Utf16),
            Position::new(0, 11)
        );
        assert_eq!(
            position(text, &lines, x, Encoding::Utf8),
            Position::new(0, 13)
        );
        // The middle of the surrogate pair lands on the emoji's start.
        let emoji = text.find('🙂').unwrap();
        assert_eq!(
            offset(text, &lines, Position::new(0, 6), Encoding::Utf16),
            emoji
        );
        // And the middle of its UTF-8 bytes too.
        assert_eq!(
            offset(text, &lines, Position::new(0, 7), Encoding::Utf8),
            emoji
        );
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let text = "ab\r\ncd\ref";
        let lines = LineIndex::new(text);
        for encoding in [Encoding::Utf8, Encoding::Utf16] {
            assert_eq!(offset(text, &lines, Position::new(0, 99), encoding), 2);
            assert_eq!(offset(text, &lines, Position::new(1, 99), encoding), 6);
            assert_eq!(offset(text, &lines, Position::new(2, 1), encoding), 8);
            assert_eq!(
                offset(text, &lines, Position::new(9, 0), encoding),
                text.len()
            );
            assert_eq!(
                offset(text, &lines, Position::new(u32::MAX, u32::MAX), encoding),
                text.len()
            );
            assert_eq!(position(text, &lines, 999, encoding), Position::new(2, 2));
        }
    }

    #[test]
    fn the_positioner_finds_lines_and_characters_in_any_order() {
        let texts = [
            "a\r\nbé🙂\rc\n\nd",
            "",
            "x",
            "\n\r\n\r",
            "def f():\n    return 'é🙂'\r\n",
        ];
        for text in texts {
            let lines = LineIndex::new(text);
            for encoding in [Encoding::Utf8, Encoding::Utf16] {
                let offsets: Vec<usize> = (0..=text.len() + 2).collect();
                let reversed: Vec<usize> = offsets.iter().rev().copied().collect();
                let jumping: Vec<usize> =
                    offsets.iter().map(|o| (o * 7) % (text.len() + 3)).collect();
                for order in [offsets, reversed, jumping] {
                    let mut positioner = Positioner::new(text, &lines, encoding);
                    for offset in order {
                        // The line by binary search, the character counted from its start.
                        let at = floor_char_boundary(text, offset);
                        let line = lines.line_of(at);
                        let range = lines.line_range(line, text);
                        let prefix = &text[range.start..at.clamp(range.start, range.end)];
                        let character = match encoding {
                            Encoding::Utf8 => prefix.len(),
                            Encoding::Utf16 => prefix.encode_utf16().count(),
                        };
                        assert_eq!(
                            positioner.position(offset),
                            Position::new(line as u32, character as u32),
                            "{text:?} @ {offset}"
                        );
                    }
                }
            }
        }
    }
}
