//! `--output-format text`: each finding with the source lines it points at.

use std::io::{self, IsTerminal, Write};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use proctor_linter::Severity;

use rayon::prelude::*;

use super::{Located, located};
use crate::check::FileResult;

pub fn write(out: &mut impl Write, results: &[FileResult]) -> io::Result<()> {
    let styled = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let renderer = if styled {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    // Rendering dominates writing: render a batch of findings in parallel, write it in order.
    for batch in located(results).chunks(BATCH) {
        let rendered: Vec<String> = batch
            .par_iter()
            .map(|item| render(&renderer, styled, item))
            .collect();
        for text in rendered {
            writeln!(out, "{text}\n")?;
        }
    }
    Ok(())
}

/// Findings rendered at once: enough to keep every thread busy, few enough to keep memory low.
const BATCH: usize = 4096;

fn render(renderer: &Renderer, styled: bool, item: &Located) -> String {
    if !styled && let Some(text) = render_plain_line(item) {
        return text;
    }
    render_with(renderer, item)
}

/// Renders a finding with the renderer.
fn render_with(renderer: &Renderer, item: &Located) -> String {
    let file = item.file;
    let diagnostic = item.diagnostic;
    let rule = diagnostic.rule.rule();
    // Show whole lines from the finding's first to its last (at most 6), so the renderer
    // never has to look at the rest of a possibly huge file.
    let first_line = item.start.line - 1;
    let last_line = (item.end.line - 1).min(first_line + 5);
    let snippet_start = file.lines.line_start(first_line);
    let snippet_end = file.lines.line_range(last_line, &file.source).end;
    let text = &file.source[snippet_start..snippet_end.max(snippet_start)];
    let span_start = diagnostic
        .range
        .start
        .saturating_sub(snippet_start)
        .min(text.len());
    let span_end = diagnostic
        .range
        .end
        .saturating_sub(snippet_start)
        .clamp(span_start, text.len());
    let level = match rule.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    };
    let title = level
        .primary_title(diagnostic.message.as_str())
        .id(rule.code);
    let snippet = Snippet::source(text)
        .line_start(item.start.line)
        .path(file.display.as_str())
        .fold(false)
        .annotation(
            AnnotationKind::Primary
                .span(span_start..span_end)
                .label(rule.name),
        );
    let mut report = vec![title.element(snippet)];
    let help;
    if let Some(fix) = &diagnostic.fix {
        help = format!("{} ({} fix)", fix.message, fix.applicability.as_str());
        report.push(Group::with_title(
            Level::HELP.secondary_title(help.as_str()),
        ));
    }
    renderer.render(&report)
}

/// Leading indentation past which the renderer starts trimming a line (it keeps 16 columns of a
/// run longer than 26), and the longest line it shows whole; the fast path stays well inside
/// both.
const PLAIN_MAX_INDENT: usize = 20;
const PLAIN_MAX_LINE: usize = 120;

/// The plain (uncoloured) rendering of the most common shape of finding — a span inside one
/// short, printable ASCII line — written directly, exactly as the renderer writes it (a test
/// compares the two). `None` for anything else, which the renderer handles.
fn render_plain_line(item: &Located) -> Option<String> {
    let file = item.file;
    let diagnostic = item.diagnostic;
    let rule = diagnostic.rule.rule();
    let plain = |text: &str| !text.chars().any(char::is_control);
    if item.start.line != item.end.line
        || !plain(&diagnostic.message)
        || !plain(&file.display)
        || diagnostic.fix.as_ref().is_some_and(|f| !plain(&f.message))
        || !rule.name.is_ascii()
    {
        return None;
    }
    let line = item.start.line.checked_sub(1)?;
    let range = file.lines.line_range(line, &file.source);
    let text = file.source.get(range.start..range.end)?;
    let indent = text.len() - text.trim_start_matches(' ').len();
    if text.is_empty()
        || text.len() > PLAIN_MAX_LINE
        || indent > PLAIN_MAX_INDENT
        || !text.bytes().all(|b| (b' '..=b'~').contains(&b))
        || text.ends_with(' ')
    {
        return None;
    }
    let start = diagnostic.range.start.checked_sub(range.start)?;
    let end = diagnostic
        .range
        .end
        .checked_sub(range.start)?
        .min(text.len());
    if start >= end {
        return None;
    }
    let level = match rule.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    };
    let number = item.start.line.to_string();
    let pad = " ".repeat(number.len());
    let mut out = String::with_capacity(256);
    use std::fmt::Write as _;
    let _ = write!(
        out,
        "{level}[{code}]: {message}\n{pad}--> {path}:{line}:{column}\n{pad} |\n{number} | {text}\n{pad} | {spaces}{carets} {label}",
        code = rule.code,
        message = diagnostic.message,
        path = file.display,
        line = item.start.line,
        column = item.start.column,
        spaces = " ".repeat(start),
        carets = "^".repeat(end - start),
        label = rule.name,
    );
    if let Some(fix) = &diagnostic.fix {
        let _ = write!(
            out,
            "\n{pad} |\nhelp: {} ({} fix)",
            fix.message,
            fix.applicability.as_str()
        );
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proctor_linter::{Applicability, Diagnostic, Fix, LineIndex, RuleId, TextRange};

    fn result(source: String, diagnostics: Vec<Diagnostic>) -> FileResult {
        FileResult {
            path: "tests/test_x.py".into(),
            display: "tests/test_x.py".into(),
            lines: LineIndex::new(&source),
            source,
            diagnostics,
            fixed: None,
            original: None,
        }
    }

    /// The fast path writes what the renderer writes, wherever it applies.
    #[test]
    fn plain_lines_render_like_the_renderer() {
        let renderer = Renderer::plain();
        let mut checked = 0;
        let lines = [
            "def test_x(self):".to_string(),
            "x".to_string(),
            format!("{}self.assertEqual(a, b)", " ".repeat(PLAIN_MAX_INDENT)),
            format!("{}y", " ".repeat(PLAIN_MAX_INDENT + 10)),
            format!("z = '{}'", "a".repeat(PLAIN_MAX_LINE - 6)),
            format!("z = '{}'", "a".repeat(PLAIN_MAX_LINE + 30)),
            "    call(é)".to_string(),
            "\tcall(x)".to_string(),
            "    trailing  ".to_string(),
            String::new(),
        ];
        for blank_lines in [0, 8, 98, 9_998] {
            for line in &lines {
                let source = format!("{}{line}\nnext = 1\n", "\n".repeat(blank_lines));
                let start = blank_lines;
                let length = line.len();
                for (from, to) in [(0, length), (length / 2, length), (1, 2), (0, 1), (3, 3)] {
                    for fix in [false, true] {
                        for message in ["Plain message", "Unicode … message `x`", "Two\nlines"] {
                            let mut diagnostic = Diagnostic::new(
                                RuleId::MissingTestDocstring,
                                TextRange::new(start + from.min(length), start + to.min(length)),
                                message,
                            );
                            if fix {
                                diagnostic = diagnostic.with_optional_fix(Some(Fix::new(
                                    Applicability::Safe,
                                    "Add docstring stub",
                                    Vec::new(),
                                )));
                            }
                            let file = result(source.clone(), vec![diagnostic]);
                            for item in located(std::slice::from_ref(&file)) {
                                let slow = render_with(&renderer, &item);
                                if let Some(fast) = render_plain_line(&item) {
                                    assert_eq!(fast, slow, "{source:?} {from}..{to} {message:?}");
                                    checked += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 100, "the fast path was taken {checked} times");
    }
}
