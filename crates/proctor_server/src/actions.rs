//! Code actions: rule fixes, "suppress on this line", fix-all, and the docstring assist.

use std::collections::HashMap;

use proctor_linter::fix::{FixMode, fix_source};
use proctor_linter::fixes::{docstring_stub_fix, sentence_from_name};
use proctor_linter::model::{FileModel, docstring_of};
use proctor_linter::syntax::{Field, Kind, field, kind};
use proctor_linter::{Applicability, Diagnostic, Fix, LineIndex, TextRange};
use serde_json::json;
use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, DocumentChanges, OneOf,
    OptionalVersionedTextDocumentIdentifier, TextDocumentEdit, TextEdit, Uri, WorkspaceEdit,
};
use tree_sitter::{Node, Tree};

use crate::analysis::{Analysis, CheckConfig};
use crate::convert::to_lsp;
use crate::position::{Encoding, range, text_range};
use crate::server::{Doc, Session};

/// The kind of the fix-all action.
pub const FIX_ALL_KIND: CodeActionKind = CodeActionKind::new("source.fixAll.proctor");
pub const FIX_ALL_TITLE: &str = "Proctor: fix all safe findings";
/// Up to this size, fix-all's edit is computed with the list of actions even when the client
/// did not ask for fix-all specifically; above it, only on request or on resolve.
const EAGER_FIX_ALL_BYTES: usize = 100_000;
/// At most this many lines of a selection are searched for `def`/`class` headers.
const ASSIST_LINES: usize = 200;

/// Whether an action of `kind` is wanted by a request's `only` filter (kinds are
/// hierarchical: asking for `refactor` includes `refactor.rewrite`).
fn wanted(only: Option<&[CodeActionKind]>, kind: &CodeActionKind) -> bool {
    only.is_none_or(|only| {
        only.iter().any(|o| {
            kind.as_str() == o.as_str()
                || (kind.as_str().starts_with(o.as_str())
                    && kind.as_str()[o.as_str().len()..].starts_with('.'))
        })
    })
}

struct Ctx<'a> {
    analysis: &'a Analysis,
    uri: &'a Uri,
    session: &'a Session,
}

impl Ctx<'_> {
    fn encoding(&self) -> Encoding {
        self.session.encoding
    }

    fn text_edits(&self, fix: &Fix) -> Vec<TextEdit> {
        fix.edits
            .iter()
            .map(|edit| TextEdit {
                range: range(
                    &self.analysis.text,
                    &self.analysis.lines,
                    edit.range,
                    self.encoding(),
                ),
                new_text: edit.content.clone(),
            })
            .collect()
    }

    fn edit(&self, edits: Vec<TextEdit>) -> WorkspaceEdit {
        workspace_edit(self.uri, self.analysis.version, edits, self.session)
    }

    fn lsp(&self, diagnostic: &Diagnostic) -> tower_lsp_server::ls_types::Diagnostic {
        to_lsp(
            diagnostic,
            &self.analysis.text,
            &self.analysis.lines,
            self.encoding(),
        )
    }
}

fn workspace_edit(
    uri: &Uri,
    version: i32,
    edits: Vec<TextEdit>,
    session: &Session,
) -> WorkspaceEdit {
    if session.document_changes {
        WorkspaceEdit {
            document_changes: Some(DocumentChanges::Edits(vec![TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier {
                    uri: uri.clone(),
                    version: Some(version),
                },
                edits: edits.into_iter().map(OneOf::Left).collect(),
            }])),
            ..Default::default()
        }
    } else {
        WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), edits)])),
            ..Default::default()
        }
    }
}

/// The code actions for a range of an analyzed document.
pub fn code_actions(
    analysis: &Analysis,
    config: &CheckConfig,
    uri: &Uri,
    params: &CodeActionParams,
    session: &Session,
) -> Vec<CodeActionOrCommand> {
    let ctx = Ctx {
        analysis,
        uri,
        session,
    };
    let text = analysis.text.as_str();
    let lines = &analysis.lines;
    let requested = text_range(text, lines, params.range, session.encoding);
    let only = params.context.only.as_deref();
    let mut actions = Vec::new();
    let mut offered: Vec<&Fix> = Vec::new();
    for diagnostic in &analysis.diagnostics {
        let touches =
            diagnostic.range.start <= requested.end && requested.start <= diagnostic.range.end;
        if !touches {
            continue;
        }
        let lsp = ctx.lsp(diagnostic);
        if let Some(fix) = &diagnostic.fix {
            let kind = match fix.applicability {
                Applicability::Refactor => CodeActionKind::REFACTOR_REWRITE,
                Applicability::Safe | Applicability::Unsafe => CodeActionKind::QUICKFIX,
            };
            if wanted(only, &kind) {
                actions.push(CodeAction {
                    title: fix.message.clone(),
                    kind: Some(kind),
                    diagnostics: Some(vec![lsp.clone()]),
                    edit: Some(ctx.edit(ctx.text_edits(fix))),
                    is_preferred: Some(fix.applicability == Applicability::Safe),
                    ..Default::default()
                });
                offered.push(fix);
            }
        }
        if wanted(only, &CodeActionKind::QUICKFIX)
            && let Some(edit) = suppress_edit(analysis, diagnostic, session.encoding)
        {
            actions.push(CodeAction {
                title: format!("Suppress {} on this line", diagnostic.rule.code()),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![lsp]),
                edit: Some(ctx.edit(vec![edit])),
                is_preferred: Some(false),
                ..Default::default()
            });
        }
    }
    // The assist reads the definitions at the range: only where the tree matches the text.
    if let Some(tree) = analysis.tree_for(requested) {
        docstring_assists(&ctx, config, tree, requested, only, &offered, &mut actions);
    }
    if wanted(only, &FIX_ALL_KIND)
        && analysis.diagnostics.iter().any(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.applicability == Applicability::Safe)
        })
    {
        let explicit = only.is_some();
        let mut action = CodeAction {
            title: FIX_ALL_TITLE.to_string(),
            kind: Some(FIX_ALL_KIND),
            ..Default::default()
        };
        if explicit || text.len() <= EAGER_FIX_ALL_BYTES {
            if let Some(edit) = fix_all_edit(text, lines, config, session.encoding) {
                action.edit = Some(ctx.edit(vec![edit]));
                actions.push(action);
            }
        } else if session.resolve_edit {
            // A big file: computed only if the user picks the action.
            action.data = Some(json!({
                "fixAll": true,
                "uri": uri.as_str(),
                "version": analysis.version,
            }));
            actions.push(action);
        }
    }
    actions
        .into_iter()
        .map(CodeActionOrCommand::CodeAction)
        .collect()
}

/// Fills in a fix-all action's edit (`codeAction/resolve`), if the document is still at the
/// version the action was made for.
pub fn resolve(
    docs: &dashmap::DashMap<Uri, std::sync::Arc<Doc>>,
    mut action: CodeAction,
    session: &Session,
) -> CodeAction {
    let Some(data) = &action.data else {
        return action;
    };
    if data.get("fixAll").and_then(|v| v.as_bool()) != Some(true) {
        return action;
    }
    let uri = data
        .get("uri")
        .and_then(|v| v.as_str())
        .and_then(|u| u.parse::<Uri>().ok());
    let version = data.get("version").and_then(|v| v.as_i64());
    let Some(doc) = uri.and_then(|u| docs.get(&u).map(|d| d.clone())) else {
        return action;
    };
    let snapshot = doc.snapshot();
    if Some(i64::from(snapshot.version)) != version {
        return action;
    }
    let config = doc.config();
    if let Some(edit) = fix_all_edit(&snapshot.text, &snapshot.lines, &config, session.encoding) {
        action.edit = Some(workspace_edit(
            &doc.uri,
            snapshot.version,
            vec![edit],
            session,
        ));
    }
    action
}

/// Every safe fix, applied to a fixed point, as one edit spanning what changed.
fn fix_all_edit(
    text: &str,
    lines: &LineIndex,
    config: &CheckConfig,
    encoding: Encoding,
) -> Option<TextEdit> {
    let fixed = fix_source(
        text,
        config.path.as_deref(),
        &config.settings,
        &config.workspace,
        FixMode::Safe,
    );
    if !fixed.changed() || fixed.source == text {
        return None;
    }
    let (old, new) = (text.as_bytes(), fixed.source.as_bytes());
    let mut prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    while !text.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let mut suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    while !(text.is_char_boundary(old.len() - suffix)
        && fixed.source.is_char_boundary(new.len() - suffix))
    {
        suffix -= 1;
    }
    Some(TextEdit {
        range: range(
            text,
            lines,
            TextRange::new(prefix, old.len() - suffix),
            encoding,
        ),
        new_text: fixed.source[prefix..new.len() - suffix].to_string(),
    })
}

/// The `# noqa` edit suppressing a finding: a new comment at the end of the line where it
/// starts, or its code added to the line's `# noqa: ...` list. `None` where a comment cannot
/// go (the line ends inside a string or with a line continuation).
fn suppress_edit(
    analysis: &Analysis,
    diagnostic: &Diagnostic,
    encoding: Encoding,
) -> Option<TextEdit> {
    let text = analysis.text.as_str();
    let lines = &analysis.lines;
    let line = lines.line_range(lines.line_of(diagnostic.range.start), text);
    let content = text.get(line.as_range())?;
    if content.trim_end().ends_with('\\') {
        return None;
    }
    // Where the tree cannot tell whether the line ends inside a string, offer nothing.
    let tree = analysis.tree_for(line)?;
    if ends_inside_string(tree, line) {
        return None;
    }
    let code = diagnostic.rule.code();
    let (at, insert) = match noqa_list_end(content) {
        Some(NoqaList::All) => return None,
        Some(NoqaList::EndsAt(end)) => (line.start + end, format!(", {code}")),
        None => (
            line.start + content.trim_end().len(),
            format!("  # noqa: {code}"),
        ),
    };
    Some(TextEdit {
        range: range(text, lines, TextRange::empty(at), encoding),
        new_text: insert,
    })
}

#[derive(Debug, PartialEq, Eq)]
enum NoqaList {
    /// A bare `# noqa`: everything is suppressed already.
    All,
    /// `# noqa: A, B`: the list's codes end at this byte of the line.
    EndsAt(usize),
}

/// Finds the line's `noqa` directive the way [`proctor_linter::noqa`] reads it.
fn noqa_list_end(line: &str) -> Option<NoqaList> {
    let mut search = 0;
    while let Some(found) = line.get(search..).and_then(|rest| rest.find('#')) {
        let hash = search + found;
        let rest = &line[hash..];
        let body = rest.trim_start_matches('#').trim_start();
        if body
            .get(..4)
            .is_some_and(|w| w.eq_ignore_ascii_case("noqa"))
        {
            let after = body[4..].trim_start();
            let Some(list) = after.strip_prefix(':') else {
                return Some(NoqaList::All);
            };
            let start = line.len() - list.len();
            let end = list.find('#').map_or(line.len(), |i| start + i);
            let codes = line[start..end].trim_end();
            if codes.trim().is_empty() {
                return Some(NoqaList::All);
            }
            return Some(NoqaList::EndsAt(start + codes.len()));
        }
        search = hash + 1;
    }
    None
}

/// Whether the line's end lies inside a string that goes on past it.
fn ends_inside_string(tree: &Tree, line: TextRange) -> bool {
    if line.is_empty() {
        return false;
    }
    let last = line.end - 1;
    let mut node = tree.root_node().descendant_for_byte_range(last, last);
    while let Some(current) = node {
        if matches!(kind(current), Kind::String | Kind::ConcatenatedString)
            && current.end_byte() > line.end
        {
            return true;
        }
        node = current.parent();
    }
    false
}

/// "Add docstring stub" on the header lines of any `def` or `class` without a docstring.
fn docstring_assists(
    ctx: &Ctx,
    config: &CheckConfig,
    tree: &Tree,
    requested: TextRange,
    only: Option<&[CodeActionKind]>,
    offered: &[&Fix],
    actions: &mut Vec<CodeAction>,
) {
    let analysis = ctx.analysis;
    let text = analysis.text.as_str();
    let definitions = definitions_at(tree, text, &analysis.lines, requested);
    if definitions.is_empty() {
        return;
    }
    let file = FileModel::build_with_lines(
        tree,
        text,
        config.path.as_deref(),
        (*analysis.lines).clone(),
    );
    for definition in definitions {
        let Some(body) = field(definition, Field::Body) else {
            continue;
        };
        if kind(body) != Kind::Block || docstring_of(body).is_some() {
            continue;
        }
        let Some(name) = field(definition, Field::Name).and_then(|n| text.get(n.byte_range()))
        else {
            continue;
        };
        let Some(fix) = docstring_stub_fix(&file, definition, body, &sentence_from_name(name))
        else {
            continue;
        };
        if offered.iter().any(|f| f.edits == fix.edits) {
            continue;
        }
        let flagged = analysis
            .diagnostics
            .iter()
            .find(|d| d.fix.as_ref().is_some_and(|f| f.edits == fix.edits));
        let (kind, diagnostics, preferred) = match flagged {
            Some(d) => (CodeActionKind::QUICKFIX, Some(vec![ctx.lsp(d)]), true),
            None => (CodeActionKind::REFACTOR_REWRITE, None, false),
        };
        if !wanted(only, &kind) {
            continue;
        }
        actions.push(CodeAction {
            title: fix.message.clone(),
            kind: Some(kind),
            diagnostics,
            edit: Some(ctx.edit(ctx.text_edits(&fix))),
            is_preferred: Some(preferred),
            ..Default::default()
        });
    }
}

/// The `def`/`class` whose header (decorators included) covers a line of the range.
fn definitions_at<'t>(
    tree: &'t Tree,
    text: &str,
    lines: &LineIndex,
    requested: TextRange,
) -> Vec<Node<'t>> {
    let first = lines.line_of(requested.start);
    let last = lines.line_of(requested.end).min(first + ASSIST_LINES);
    let mut found: Vec<Node<'t>> = Vec::new();
    for line in first..=last {
        let range = lines.line_range(line, text);
        let Some(content) = text.get(range.as_range()) else {
            continue;
        };
        let indent = content.len() - content.trim_start().len();
        if indent == content.len() {
            continue;
        }
        let at = range.start + indent;
        let mut node = tree.root_node().descendant_for_byte_range(at, at);
        while let Some(current) = node {
            let candidate = match kind(current) {
                Kind::FunctionDefinition | Kind::ClassDefinition => Some((current, current)),
                Kind::DecoratedDefinition => {
                    field(current, Field::Definition).map(|d| (current, d))
                }
                Kind::Block | Kind::Module => break,
                _ => None,
            };
            if let Some((outer, definition)) = candidate {
                let header_end = header_end(definition);
                if lines.line_of(outer.start_byte()) <= line
                    && line <= lines.line_of(header_end)
                    && matches!(
                        kind(definition),
                        Kind::FunctionDefinition | Kind::ClassDefinition
                    )
                    && !found.contains(&definition)
                {
                    found.push(definition);
                }
                break;
            }
            node = current.parent();
        }
    }
    found
}

/// The end of a definition's header: its `:`.
fn header_end(definition: Node) -> usize {
    let mut cursor = definition.walk();
    definition
        .children(&mut cursor)
        .find(|c| !c.is_named() && c.kind() == ":")
        .map_or(definition.start_byte(), |c| c.start_byte())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noqa_lists() {
        assert_eq!(noqa_list_end("x = 1"), None);
        assert_eq!(noqa_list_end("x = 1  # noqa"), Some(NoqaList::All));
        assert_eq!(noqa_list_end("x = 1  # noqa:"), Some(NoqaList::All));
        assert_eq!(
            noqa_list_end("x = 1  # noqa: TQ101"),
            Some(NoqaList::EndsAt(20))
        );
        assert_eq!(
            noqa_list_end("x = 1  # noqa: TQ101   # other"),
            Some(NoqaList::EndsAt(20))
        );
        assert_eq!(
            noqa_list_end("x  # type: ignore  # NOQA:TQ1"),
            Some(NoqaList::EndsAt(29))
        );
        assert_eq!(noqa_list_end("s = '#é'"), None);
    }

    #[test]
    fn kinds_are_hierarchical() {
        let only = [CodeActionKind::SOURCE_FIX_ALL];
        assert!(wanted(Some(&only), &FIX_ALL_KIND));
        assert!(!wanted(Some(&only), &CodeActionKind::QUICKFIX));
        let only = [CodeActionKind::new("source.fix")];
        assert!(!wanted(Some(&only), &FIX_ALL_KIND));
        assert!(wanted(None, &CodeActionKind::REFACTOR_REWRITE));
    }
}
