//! `--output-format json`: one object per finding, sorted by path, line, column, code.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::located;
use crate::check::FileResult;

pub fn write(out: &mut impl Write, results: &[FileResult]) -> io::Result<()> {
    let findings: Vec<Value> = located(results)
        .into_iter()
        .map(|item| {
            let rule = item.diagnostic.rule.rule();
            let fix = item.diagnostic.fix.as_ref().map(|fix| {
                json!({
                    "applicability": fix.applicability.as_str(),
                    "message": fix.message,
                    "edits": fix.edits.iter().map(|edit| {
                        let start = item.file.lines.line_column(&item.file.source, edit.range.start);
                        let end = item.file.lines.line_column(&item.file.source, edit.range.end);
                        json!({
                            "line": start.line, "column": start.column,
                            "end_line": end.line, "end_column": end.column,
                            "content": edit.content,
                        })
                    }).collect::<Vec<_>>(),
                })
            });
            json!({
                "code": rule.code,
                "name": rule.name,
                "category": rule.category.as_str(),
                "severity": rule.severity.as_str(),
                "path": item.file.display,
                "line": item.start.line,
                "column": item.start.column,
                "end_line": item.end.line,
                "end_column": item.end.column,
                "message": item.diagnostic.message,
                "fix": fix,
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &findings)?;
    writeln!(out)
}
