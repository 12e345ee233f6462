//! `--output-format sarif`: a SARIF 2.1.0 log with one run.

use std::io::{self, Write};

use proctor_linter::{Severity, all_rules};
use serde_json::{Value, json};

use super::located;
use crate::check::FileResult;

const DOCS_BASE: &str = "https://github.com/proctor-dev/proctor/blob/main/docs/rules/";

pub fn write(out: &mut impl Write, results: &[FileResult]) -> io::Result<()> {
    let rules: Vec<Value> = all_rules()
        .map(|rule| {
            json!({
                "id": rule.code,
                "name": rule.name,
                "shortDescription": { "text": rule.summary },
                "fullDescription": { "text": rule.doc.trim() },
                "help": { "text": rule.doc.trim(), "markdown": rule.doc.trim() },
                "helpUri": format!("{DOCS_BASE}{}.md", rule.code),
                "defaultConfiguration": { "level": level(rule.severity), "enabled": rule.default_enabled },
                "properties": { "category": rule.category.as_str() },
            })
        })
        .collect();
    let findings: Vec<Value> = located(results)
        .into_iter()
        .map(|item| {
            let rule = item.diagnostic.rule.rule();
            let mut result = json!({
                "ruleId": rule.code,
                "ruleIndex": rule.id as usize,
                "level": level(rule.severity),
                "message": { "text": item.diagnostic.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&item.file.display) },
                        "region": {
                            "startLine": item.start.line,
                            "startColumn": item.start.column,
                            "endLine": item.end.line,
                            "endColumn": item.end.column,
                        }
                    }
                }],
            });
            if let Some(fix) = &item.diagnostic.fix {
                let replacements: Vec<Value> = fix
                    .edits
                    .iter()
                    .map(|edit| {
                        let start = item.file.lines.line_column(&item.file.source, edit.range.start);
                        let end = item.file.lines.line_column(&item.file.source, edit.range.end);
                        json!({
                            "deletedRegion": {
                                "startLine": start.line, "startColumn": start.column,
                                "endLine": end.line, "endColumn": end.column,
                            },
                            "insertedContent": { "text": edit.content },
                        })
                    })
                    .collect();
                result["fixes"] = json!([{
                    "description": { "text": format!("{} ({})", fix.message, fix.applicability.as_str()) },
                    "artifactChanges": [{
                        "artifactLocation": { "uri": uri(&item.file.display) },
                        "replacements": replacements,
                    }],
                }]);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "proctor",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/proctor-dev/proctor",
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": findings,
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A relative URI reference for a displayed path (forward slashes, spaces escaped).
fn uri(path: &str) -> String {
    path.replace('\\', "/")
        .replace('%', "%25")
        .replace(' ', "%20")
}
