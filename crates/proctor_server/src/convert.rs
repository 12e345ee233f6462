//! Linter findings → LSP diagnostics.

use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::OnceLock;

use proctor_linter::{Applicability, Diagnostic, LineIndex, Rule, Severity, all_rules};
use serde_json::{Map, Value};
use tower_lsp_server::ls_types::{
    self, CodeDescription, DiagnosticSeverity, DiagnosticTag, NumberOrString, Uri,
};

use crate::position::{Encoding, range};

/// Where each rule's documentation page lives (`<base><CODE>.md`).
pub const DOCS_BASE: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/rules/");

/// The `source` of every diagnostic.
pub const SOURCE: &str = "proctor";

pub fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Info => DiagnosticSeverity::INFORMATION,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Error => DiagnosticSeverity::ERROR,
    }
}

/// The documentation page of a rule, parsed once per rule.
pub fn docs_uri(rule: &Rule) -> Option<Uri> {
    static URIS: OnceLock<Vec<Option<Uri>>> = OnceLock::new();
    let uris = URIS.get_or_init(|| {
        all_rules()
            .map(|r| Uri::from_str(&format!("{DOCS_BASE}{}.md", r.code)).ok())
            .collect()
    });
    uris.get(rule.id as usize).cloned().flatten()
}

/// The rules whose findings are dead code, shown faded by editors.
fn tags(rule: &Rule) -> Option<Vec<DiagnosticTag>> {
    rule.name
        .starts_with("unused-")
        .then(|| vec![DiagnosticTag::UNNECESSARY])
}

pub fn to_lsp(
    diagnostic: &Diagnostic,
    text: &str,
    lines: &LineIndex,
    encoding: Encoding,
) -> ls_types::Diagnostic {
    let rule = diagnostic.rule.rule();
    let mut data = Map::with_capacity(3);
    data.insert("category".into(), Value::from(rule.category.as_str()));
    data.insert("name".into(), Value::from(rule.name));
    if let Some(fix) = &diagnostic.fix {
        data.insert("fix".into(), Value::from(fix.applicability.as_str()));
    }
    ls_types::Diagnostic {
        range: range(text, lines, diagnostic.range, encoding),
        severity: Some(severity(rule.severity)),
        code: Some(NumberOrString::String(rule.code.to_string())),
        code_description: docs_uri(rule).map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message: diagnostic.message.clone(),
        related_information: None,
        tags: tags(rule),
        data: Some(Value::Object(data)),
    }
}

/// A hash of what a client shows of a list of diagnostics: the result id of a report.
pub fn report_hash(items: &[ls_types::Diagnostic]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    items.len().hash(&mut hasher);
    for item in items {
        let r = item.range;
        (r.start.line, r.start.character, r.end.line, r.end.character).hash(&mut hasher);
        if let Some(NumberOrString::String(code)) = &item.code {
            code.hash(&mut hasher);
        }
        item.message.hash(&mut hasher);
    }
    hasher.finish()
}

/// The parts of a rule's diagnostics that never change, as JSON: everything between the
/// range and the message (severity, code, docs, source), and the `data` object for each
/// kind of fix (none, safe, unsafe, refactor).
struct RuleJson {
    middle: String,
    data: [String; 4],
    tags: &'static str,
}

fn rule_json() -> &'static [RuleJson] {
    static JSON: OnceLock<Vec<RuleJson>> = OnceLock::new();
    JSON.get_or_init(|| {
        all_rules()
            .map(|rule| {
                let severity = match rule.severity {
                    Severity::Error => 1,
                    Severity::Warning => 2,
                    Severity::Info => 3,
                };
                let href = Value::from(format!("{DOCS_BASE}{}.md", rule.code));
                let middle = format!(
                    r#""severity":{severity},"code":{},"codeDescription":{{"href":{href}}},"source":{},"#,
                    Value::from(rule.code),
                    Value::from(SOURCE),
                );
                let data = |fix: Option<&str>| {
                    let mut object = Map::new();
                    object.insert("category".into(), Value::from(rule.category.as_str()));
                    object.insert("name".into(), Value::from(rule.name));
                    if let Some(fix) = fix {
                        object.insert("fix".into(), Value::from(fix));
                    }
                    Value::Object(object).to_string()
                };
                RuleJson {
                    middle,
                    data: [
                        data(None),
                        data(Some("safe")),
                        data(Some("unsafe")),
                        data(Some("refactor")),
                    ],
                    tags: if rule.name.starts_with("unused-") {
                        r#","tags":[1]"#
                    } else {
                        ""
                    },
                }
            })
            .collect()
    })
}

/// Diagnostics as the JSON array of an LSP report or notification, and a hash of what the
/// client shows of them (the report's result id). Written by hand from precomputed pieces:
/// only positions and messages vary, and a big file's report is rewritten on every
/// keystroke.
pub fn wire_diagnostics(
    diagnostics: &[Diagnostic],
    text: &str,
    lines: &LineIndex,
    encoding: Encoding,
) -> (Vec<u8>, u64) {
    use std::io::Write;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    diagnostics.len().hash(&mut hasher);
    let rules = rule_json();
    let mut out = Vec::with_capacity(diagnostics.len() * 320 + 2);
    out.push(b'[');
    for (index, diagnostic) in diagnostics.iter().enumerate() {
        let rule = diagnostic.rule.rule();
        let Some(json) = rules.get(rule.id as usize) else {
            continue;
        };
        let r = range(text, lines, diagnostic.range, encoding);
        (r.start.line, r.start.character, r.end.line, r.end.character).hash(&mut hasher);
        rule.code.hash(&mut hasher);
        diagnostic.message.hash(&mut hasher);
        if index > 0 {
            out.push(b',');
        }
        // Writing to a Vec cannot fail.
        let _ = write!(
            out,
            r#"{{"range":{{"start":{{"line":{},"character":{}}},"end":{{"line":{},"character":{}}}}},"#,
            r.start.line, r.start.character, r.end.line, r.end.character
        );
        out.extend_from_slice(json.middle.as_bytes());
        out.extend_from_slice(br#""message":"#);
        let _ = serde_json::to_writer(&mut out, diagnostic.message.as_str());
        out.extend_from_slice(br#","data":"#);
        let data = match diagnostic.fix.as_ref().map(|f| f.applicability) {
            None => &json.data[0],
            Some(Applicability::Safe) => &json.data[1],
            Some(Applicability::Unsafe) => &json.data[2],
            Some(Applicability::Refactor) => &json.data[3],
        };
        out.extend_from_slice(data.as_bytes());
        out.extend_from_slice(json.tags.as_bytes());
        out.push(b'}');
    }
    out.push(b']');
    (out, hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proctor_linter::{Settings, Workspace};

    #[test]
    fn wire_diagnostics_match_the_protocol_types() {
        let text = "class TestA:\n    def test_é(self):\n        pass\n";
        let lines = LineIndex::new(text);
        let output = proctor_linter::check_source(
            text,
            Some(std::path::Path::new("test_a.py")),
            &Settings::default(),
            &Workspace::empty(),
        );
        for encoding in [Encoding::Utf8, Encoding::Utf16] {
            let (bytes, hash) = wire_diagnostics(&output.diagnostics, text, &lines, encoding);
            let wire: Value = serde_json::from_slice(&bytes).unwrap();
            let typed: Vec<ls_types::Diagnostic> = output
                .diagnostics
                .iter()
                .map(|d| to_lsp(d, text, &lines, encoding))
                .collect();
            assert_eq!(wire, serde_json::to_value(&typed).unwrap());
            assert_eq!(hash, report_hash(&typed));
        }
    }
}
