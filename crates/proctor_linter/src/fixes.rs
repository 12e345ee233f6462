//! Building blocks for fixes that several rules share.

use tree_sitter::Node;

use crate::diagnostic::{Edit, Fix};
use crate::model::FileModel;
use crate::syntax::{Kind, kind};
use crate::text::{indentation_at, line_ending};

/// A one-line sentence from an identifier: `test_evacuate_races_with_update` →
/// `Evacuate races with update.`, `testFooBar` → `Foo bar.`, `TestServerActions` →
/// `Server actions.`
pub fn sentence_from_name(name: &str) -> String {
    let trimmed = name.trim_matches('_');
    let stripped = ["test_", "Test_", "tests_", "Tests_"]
        .iter()
        .find_map(|p| trimmed.strip_prefix(p))
        .or_else(|| {
            ["test", "Test"].iter().find_map(|p| {
                trimmed
                    .strip_prefix(p)
                    .filter(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
            })
        })
        .unwrap_or(trimmed);
    let stripped = stripped
        .strip_suffix("Test")
        .filter(|s| !s.is_empty())
        .unwrap_or(stripped);
    let mut words: Vec<String> = Vec::new();
    for part in stripped.split('_').filter(|p| !p.is_empty()) {
        let mut current = String::new();
        let chars: Vec<char> = part.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            let boundary = c.is_uppercase()
                && !current.is_empty()
                && (chars
                    .get(i.wrapping_sub(1))
                    .is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                    || chars.get(i + 1).is_some_and(|n| n.is_lowercase()));
            if boundary {
                words.push(std::mem::take(&mut current));
            }
            current.push(*c);
        }
        if !current.is_empty() {
            words.push(current);
        }
    }
    let words: Vec<String> = words
        .into_iter()
        .map(|w| {
            // Keep acronyms (`PCI`, `API`) as written; lower-case ordinary words.
            if w.chars().filter(|c| c.is_uppercase()).count() > 1 {
                w
            } else {
                w.to_lowercase()
            }
        })
        .collect();
    let mut sentence = words.join(" ");
    if sentence.is_empty() {
        sentence = name.to_string();
    }
    let mut chars = sentence.chars();
    let first = chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>())
        .unwrap_or_default();
    format!("{first}{}.", chars.as_str())
}

/// The indentation unit the file uses (the first indented line's leading whitespace).
pub fn indent_unit(source: &str) -> &str {
    for line in source.lines() {
        let trimmed = line.trim_start_matches([' ', '\t']);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = &line[..line.len() - trimmed.len()];
        if !indent.is_empty() {
            return indent;
        }
    }
    "    "
}

/// Inserts `statement` (one line, no indentation) as the first statement of `body`, on the
/// line after the definition's header, above any comments at the top of the body. Handles
/// bodies written on the header line (`def f(): pass`).
pub fn insert_first_statement(
    file: &FileModel,
    definition: Node,
    body: Node,
    statement: &str,
) -> Vec<Edit> {
    let source = file.source;
    let eol = line_ending(source);
    let Some(first) = crate::model::first_statement(body) else {
        return Vec::new();
    };
    let colon_end = header_colon_end(definition, body).unwrap_or(body.start_byte());
    let header_line = file.lines.line_of(colon_end);
    if file.lines.line_of(first.start_byte()) > header_line {
        let indent = indentation_at(source, &file.lines, first.start_byte());
        let at = file.lines.line_start(header_line + 1);
        vec![Edit::insert(at, format!("{indent}{statement}{eol}"))]
    } else {
        // `def f(): body` — move the body to its own lines.
        let outer_indent = indentation_at(source, &file.lines, definition.start_byte());
        let indent = format!("{outer_indent}{}", indent_unit(source));
        vec![Edit::replace(
            crate::text::TextRange::new(colon_end, first.start_byte()),
            format!("{eol}{indent}{statement}{eol}{indent}"),
        )]
    }
}

/// Deletes a statement with its whole line(s): the edit exists only when the statement stands
/// alone on them (nothing but indentation before it, nothing but a comment after it), so the
/// rest of the file keeps its layout. A trailing comment on its last line goes with it.
pub fn delete_statement_lines(file: &FileModel, statement: Node) -> Option<Edit> {
    let source = file.source;
    let first_line = file.lines.line_of(statement.start_byte());
    let start = file.lines.line_start(first_line);
    let before = source.get(start..statement.start_byte())?;
    if !before.trim_matches([' ', '\t']).is_empty() {
        return None;
    }
    let last_line = file.lines.line_of(statement.end_byte());
    let line = file.lines.line_range(last_line, source);
    let after = source
        .get(statement.end_byte()..line.end.max(statement.end_byte()))?
        .trim_start_matches([' ', '\t']);
    if !(after.is_empty() || after.starts_with('#')) {
        return None;
    }
    let end = file.lines.line_start(last_line + 1);
    Some(Edit::delete(crate::text::TextRange::new(start, end)))
}

/// The end of the `:` that closes a `def`/`class` header.
fn header_colon_end(definition: Node, body: Node) -> Option<usize> {
    let mut cursor = definition.walk();
    definition
        .children(&mut cursor)
        .filter(|c| !c.is_named() && c.kind() == ":" && c.end_byte() <= body.start_byte())
        .last()
        .map(|c| c.end_byte())
}

/// A docstring statement for `text`, quoted so it stays a valid string.
pub fn docstring_literal(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace("\"\"\"", "\\\"\\\"\\\"");
    if escaped.ends_with('"') {
        format!("\"\"\"{escaped} \"\"\"")
    } else {
        format!("\"\"\"{escaped}\"\"\"")
    }
}

/// The "Add docstring stub" fix for a function or class body.
pub fn docstring_stub_fix(
    file: &FileModel,
    definition: Node,
    body: Node,
    text: &str,
) -> Option<Fix> {
    if kind(body) != Kind::Block {
        return None;
    }
    let edits = insert_first_statement(file, definition, body, &docstring_literal(text));
    (!edits.is_empty()).then(|| Fix::safe("Add docstring stub", edits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_from_names() {
        assert_eq!(
            sentence_from_name("test_evacuate_races_with_update_available_resource"),
            "Evacuate races with update available resource."
        );
        assert_eq!(sentence_from_name("testFooBar"), "Foo bar.");
        assert_eq!(sentence_from_name("TestServerActions"), "Server actions.");
        assert_eq!(
            sentence_from_name("_assert_pci_device_allocated"),
            "Assert pci device allocated."
        );
        assert_eq!(
            sentence_from_name("test_get_PCI_devices"),
            "Get PCI devices."
        );
        assert_eq!(sentence_from_name("ServersTest"), "Servers.");
        assert_eq!(sentence_from_name("test"), "Test.");
    }

    #[test]
    fn literals_stay_valid() {
        assert_eq!(docstring_literal("Waits."), "\"\"\"Waits.\"\"\"");
        assert_eq!(docstring_literal("say \"hi\""), "\"\"\"say \"hi\" \"\"\"");
    }
}
