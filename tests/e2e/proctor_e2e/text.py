"""Text positions and edits as an LSP client applies them."""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types as t


def _units(ch: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(ch.encode("utf-8"))
    if encoding == "utf-16":
        return 2 if ord(ch) > 0xFFFF else 1
    if encoding == "utf-32":
        return 1
    raise ValueError(f"unknown position encoding {encoding!r}")


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def offset_at(text: str, pos: t.Position, encoding: str) -> int:
    """String index of an LSP position; the column is clamped to the line end."""
    starts = _line_starts(text)
    if pos.line >= len(starts):
        if pos.line == len(starts) and pos.character == 0:
            return len(text)
        raise AssertionError(f"position {pos} is past the end of the document")
    start = starts[pos.line]
    end = starts[pos.line + 1] - 1 if pos.line + 1 < len(starts) else len(text)
    if end > start and text[end - 1] == "\r":
        end -= 1
    offset, units = start, 0
    while offset < end and units < pos.character:
        units += _units(text[offset], encoding)
        offset += 1
    if units > pos.character:
        raise AssertionError(f"position {pos} splits a character")
    return offset


def position_at(text: str, offset: int, encoding: str) -> t.Position:
    starts = _line_starts(text)
    line = max(i for i, s in enumerate(starts) if s <= offset)
    character = sum(_units(ch, encoding) for ch in text[starts[line] : offset])
    return t.Position(line=line, character=character)


def end_position(text: str, encoding: str) -> t.Position:
    return position_at(text, len(text), encoding)


def apply_text_edits(text: str, edits: Sequence[t.TextEdit], encoding: str) -> str:
    """Apply edits that all refer to the original text (LSP semantics).

    Inserts at the same position keep their array order; overlapping edits
    are an error, as the specification forbids them.
    """
    spans = []
    for index, edit in enumerate(edits):
        start = offset_at(text, edit.range.start, encoding)
        end = offset_at(text, edit.range.end, encoding)
        assert start <= end, f"edit with reversed range: {edit}"
        spans.append((start, end, index, edit.new_text))
    spans.sort(key=lambda s: (s[0], s[2]))
    out, cursor = [], 0
    for start, end, _, new_text in spans:
        assert start >= cursor, f"overlapping text edits: {edits}"
        out.append(text[cursor:start])
        out.append(new_text)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def edits_as_changes(
    text: str, edits: Sequence[t.TextEdit], encoding: str
) -> list[t.TextDocumentContentChangePartial]:
    """Incremental didChange events equivalent to `edits`.

    Each event applies to the document as left by the previous one, so they
    are sent from the end of the document backwards.
    """
    order = sorted(
        range(len(edits)),
        key=lambda i: (offset_at(text, edits[i].range.start, encoding), i),
        reverse=True,
    )
    return [
        t.TextDocumentContentChangePartial(range=edits[i].range, text=edits[i].new_text)
        for i in order
    ]


def range_contains(rng: t.Range, pos: t.Position) -> bool:
    start = (rng.start.line, rng.start.character)
    end = (rng.end.line, rng.end.character)
    return start <= (pos.line, pos.character) <= end
