//! Printing findings in each output format.

pub mod json;
pub mod review;
pub mod sarif;
pub mod text;

use std::collections::BTreeMap;
use std::io::{self, Write};

use proctor_linter::{Diagnostic, LineColumn};

use crate::check::FileResult;

/// A finding with its positions resolved, in output order.
pub struct Located<'a> {
    pub file: &'a FileResult,
    pub diagnostic: &'a Diagnostic,
    pub start: LineColumn,
    pub end: LineColumn,
}

/// Every finding, sorted by path, line, column, code.
pub fn located(results: &[FileResult]) -> Vec<Located<'_>> {
    let mut all: Vec<Located> = results
        .iter()
        .flat_map(|file| {
            file.diagnostics.iter().map(move |diagnostic| Located {
                file,
                diagnostic,
                start: file.lines.line_column(&file.source, diagnostic.range.start),
                end: file.lines.line_column(&file.source, diagnostic.range.end),
            })
        })
        .collect();
    all.sort_by(|a, b| {
        (&a.file.display, a.start, a.diagnostic.rule.code()).cmp(&(
            &b.file.display,
            b.start,
            b.diagnostic.rule.code(),
        ))
    });
    all
}

/// `path:line:column: CODE [name] message`, one per line.
pub fn concise(out: &mut impl Write, results: &[FileResult]) -> io::Result<()> {
    for item in located(results) {
        let rule = item.diagnostic.rule.rule();
        writeln!(
            out,
            "{}:{}:{}: {} [{}] {}",
            item.file.display,
            item.start.line,
            item.start.column,
            rule.code,
            rule.name,
            item.diagnostic.message
        )?;
    }
    Ok(())
}

/// GitHub Actions workflow commands (`::warning file=...::message`).
pub fn github(out: &mut impl Write, results: &[FileResult]) -> io::Result<()> {
    for item in located(results) {
        let rule = item.diagnostic.rule.rule();
        let level = match rule.severity {
            proctor_linter::Severity::Error => "error",
            proctor_linter::Severity::Warning => "warning",
            proctor_linter::Severity::Info => "notice",
        };
        writeln!(
            out,
            "::{level} title={},file={},line={},col={},endLine={},endColumn={}::{}",
            escape_property(&format!("{} {}", rule.code, rule.name)),
            escape_property(&item.file.display),
            item.start.line,
            item.start.column,
            item.end.line,
            item.end.column,
            escape_data(&format!(
                "{}:{}:{}: {} {}",
                item.file.display,
                item.start.line,
                item.start.column,
                rule.code,
                item.diagnostic.message
            )),
        )?;
    }
    Ok(())
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Counts per rule, most frequent first.
pub fn statistics(out: &mut impl Write, results: &[FileResult]) -> io::Result<()> {
    let mut counts: BTreeMap<&'static str, (usize, usize)> = BTreeMap::new();
    for diagnostic in results.iter().flat_map(|r| &r.diagnostics) {
        let entry = counts.entry(diagnostic.rule.code()).or_default();
        entry.0 += 1;
        if diagnostic.fix.is_some() {
            entry.1 += 1;
        }
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    let width = rows
        .iter()
        .map(|(_, (n, _))| n.to_string().len())
        .max()
        .unwrap_or(1);
    for (code, (count, fixable)) in rows {
        let Some(rule) = proctor_linter::find_rule(code) else {
            continue;
        };
        let marker = if fixable > 0 { "[*]" } else { "   " };
        writeln!(out, "{count:>width$}  {code}  {marker} {}", rule.name)?;
    }
    Ok(())
}
