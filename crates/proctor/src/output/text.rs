//! `--output-format text`: each finding with the source lines it points at.

use std::io::{self, IsTerminal, Write};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use proctor_linter::Severity;

use super::located;
use crate::check::FileResult;

pub fn write(out: &mut impl Write, results: &[FileResult]) -> io::Result<()> {
    let styled = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let renderer = if styled {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    for item in located(results) {
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
        writeln!(out, "{}\n", renderer.render(&report))?;
    }
    Ok(())
}
