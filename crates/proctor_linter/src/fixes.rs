//! Building blocks for fixes that several rules share.

use std::collections::HashMap;

use tree_sitter::Node;

use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::model::FileModel;
use crate::syntax::{Field, Kind, field, field_children, kind, named_children};
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

/// Inserts `statement` as the first statement of `body` after its docstring, if it has one
/// (a statement inserted above a docstring would turn it into a plain string). Empty when the
/// docstring shares the header's line.
pub fn insert_after_docstring(
    file: &FileModel,
    definition: Node,
    body: Node,
    statement: &str,
) -> Vec<Edit> {
    let Some(docstring) = crate::model::docstring_of(body) else {
        return insert_first_statement(file, definition, body, statement);
    };
    let source = file.source;
    let colon_end = header_colon_end(definition, body).unwrap_or(body.start_byte());
    if file.lines.line_of(docstring.start_byte()) == file.lines.line_of(colon_end) {
        return Vec::new();
    }
    let indent = indentation_at(source, &file.lines, docstring.start_byte());
    let eol = line_ending(source);
    let next_line = file.lines.line_of(docstring.end_byte()) + 1;
    if next_line >= file.lines.line_count() || file.lines.line_start(next_line) > source.len() {
        return vec![Edit::insert(
            source.len(),
            format!("{eol}{indent}{statement}{eol}"),
        )];
    }
    vec![Edit::insert(
        file.lines.line_start(next_line),
        format!("{indent}{statement}{eol}"),
    )]
}

/// Appends `statement` as the last statement of `body` — before a final `return` or `raise`,
/// which would skip it. Empty when the body shares the header's line.
pub fn append_statement(
    file: &FileModel,
    definition: Node,
    body: Node,
    statement: &str,
) -> Vec<Edit> {
    let source = file.source;
    let statements = crate::model::statements(body);
    let (Some(first), Some(last)) = (statements.first(), statements.last()) else {
        return Vec::new();
    };
    let colon_end = header_colon_end(definition, body).unwrap_or(body.start_byte());
    if file.lines.line_of(first.start_byte()) == file.lines.line_of(colon_end) {
        return Vec::new();
    }
    let indent = indentation_at(source, &file.lines, first.start_byte());
    let eol = line_ending(source);
    if matches!(kind(*last), Kind::ReturnStatement | Kind::RaiseStatement) {
        let at = file.lines.line_start(file.lines.line_of(last.start_byte()));
        return vec![Edit::insert(at, format!("{indent}{statement}{eol}"))];
    }
    let next_line = file.lines.line_of(last.end_byte()) + 1;
    if next_line >= file.lines.line_count() {
        return vec![Edit::insert(
            source.len(),
            format!("{eol}{indent}{statement}{eol}"),
        )];
    }
    vec![Edit::insert(
        file.lines.line_start(next_line),
        format!("{indent}{statement}{eol}"),
    )]
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
pub fn header_colon_end(definition: Node, body: Node) -> Option<usize> {
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

/// Turns every fix's [`Fix::required_imports`] into an `import` edit against the current text
/// (or nothing, when the module is imported already), then clears the requests.
pub fn resolve_required_imports(file: &FileModel, diagnostics: &mut [Diagnostic]) {
    // One edit per module, however many fixes ask for it: finding the place reads every
    // top-level statement.
    let mut edits: HashMap<String, Option<Edit>> = HashMap::new();
    for diagnostic in diagnostics {
        let Some(fix) = &mut diagnostic.fix else {
            continue;
        };
        if fix.required_imports.is_empty() {
            continue;
        }
        for module in std::mem::take(&mut fix.required_imports) {
            let edit = edits
                .entry(module)
                .or_insert_with_key(|module| module_import_edit(file, module));
            if let Some(edit) = edit {
                fix.edits.push(edit.clone());
            }
        }
        fix.edits
            .sort_by_key(|edit| (edit.range.start, edit.range.end));
    }
}

/// An edit adding `import <module>` at module level, or `None` when the name is bound already
/// (`from eventlet.green import threading` serves as well). The line goes into the first run of plain `import x` statements, in
/// alphabetical place (the order most import linters enforce); failing that, above the first
/// `from x import y`; failing that, above the first statement after the module docstring and
/// `__future__` imports.
pub fn module_import_edit(file: &FileModel, module: &str) -> Option<Edit> {
    if file.imports.get(module).is_some() {
        return None;
    }
    let source = file.source;
    let eol = line_ending(source);
    let line = format!("import {module}{eol}");
    let statements: Vec<Node> = named_children(file.tree.root_node()).collect();
    let imported_name = |statement: Node| -> Option<String> {
        let first = field_children(statement, Field::Name).into_iter().next()?;
        let name = if kind(first) == Kind::AliasedImport {
            field(first, Field::Name)?
        } else {
            first
        };
        Some(file.text(name).to_ascii_lowercase())
    };
    // The first run of `import x` statements on consecutive lines.
    let mut group: Vec<Node> = Vec::new();
    for statement in &statements {
        if kind(*statement) == Kind::ImportStatement {
            let follows = group.last().is_none_or(|last: &Node| {
                file.lines.line_of(statement.start_byte())
                    == file.lines.line_of(last.end_byte()) + 1
            });
            if follows {
                group.push(*statement);
                continue;
            }
        }
        if !group.is_empty() {
            break;
        }
    }
    let wanted = module.to_ascii_lowercase();
    let at = if let Some(last) = group.last() {
        match group
            .iter()
            .find(|s| imported_name(**s).is_some_and(|name| name > wanted))
        {
            Some(next) => file.lines.line_start(file.lines.line_of(next.start_byte())),
            None => file
                .lines
                .line_start(file.lines.line_of(last.end_byte()) + 1),
        }
    } else if let Some(first_from) = statements
        .iter()
        .find(|s| kind(**s) == Kind::ImportFromStatement)
    {
        file.lines
            .line_start(file.lines.line_of(first_from.start_byte()))
    } else {
        let is_preamble = |s: &Node| {
            kind(*s) == Kind::FutureImportStatement
                || (kind(*s) == Kind::ExpressionStatement
                    && s.named_child(0).is_some_and(|e| {
                        matches!(kind(e), Kind::String | Kind::ConcatenatedString)
                    }))
        };
        match statements.iter().find(|s| !is_preamble(s)) {
            Some(first) => file
                .lines
                .line_start(file.lines.line_of(first.start_byte())),
            None => source.len(),
        }
    };
    let needs_break = at == source.len() && !source.is_empty() && !source.ends_with(['\n', '\r']);
    let content = if needs_break {
        format!("{eol}{line}")
    } else {
        line
    };
    Some(Edit::insert(at, content))
}

/// The name `module` is imported as at module level (`pytest` for `import pytest`, `pt` for
/// `import pytest as pt`), if it is.
pub fn module_binding<'a>(file: &'a FileModel, module: &str) -> Option<&'a str> {
    file.imports
        .sorted()
        .into_iter()
        .find(|(_, path)| *path == module)
        .map(|(name, _)| name)
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

    fn import_edit(source: &str, module: &str) -> Option<String> {
        let tree = crate::parse::parse(source, None);
        let file = FileModel::build(&tree, source, None);
        module_import_edit(&file, module).map(|edit| crate::fix::apply_edits(source, &[&edit]))
    }

    #[test]
    fn imports_go_in_alphabetical_place() {
        assert_eq!(
            import_edit("import copy\nimport time\n\nfrom a import b\n", "threading").as_deref(),
            Some("import copy\nimport threading\nimport time\n\nfrom a import b\n")
        );
        assert_eq!(
            import_edit("import os\nimport sys\n\nimport mock\n", "threading").as_deref(),
            Some("import os\nimport sys\nimport threading\n\nimport mock\n")
        );
        assert_eq!(import_edit("import threading\n", "threading"), None);
    }

    #[test]
    fn imports_without_plain_imports() {
        assert_eq!(
            import_edit("# license\n\"\"\"Doc.\"\"\"\nfrom a import b\n", "asyncio").as_deref(),
            Some("# license\n\"\"\"Doc.\"\"\"\nimport asyncio\nfrom a import b\n")
        );
        assert_eq!(
            import_edit("\"\"\"Doc.\"\"\"\n\nx = 1\n", "asyncio").as_deref(),
            Some("\"\"\"Doc.\"\"\"\n\nimport asyncio\nx = 1\n")
        );
        assert_eq!(
            import_edit("import os", "threading").as_deref(),
            Some("import os\nimport threading\n")
        );
    }

    #[test]
    fn literals_stay_valid() {
        assert_eq!(docstring_literal("Waits."), "\"\"\"Waits.\"\"\"");
        assert_eq!(docstring_literal("say \"hi\""), "\"\"\"say \"hi\" \"\"\"");
    }
}
