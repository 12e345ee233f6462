//! Linter findings → LSP diagnostics.

use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::OnceLock;

use proctor_linter::{Diagnostic, LineIndex, Rule, Severity, all_rules};
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

#[derive(serde::Serialize)]
struct WirePosition {
    line: u32,
    character: u32,
}

#[derive(serde::Serialize)]
struct WireRange {
    start: WirePosition,
    end: WirePosition,
}

#[derive(serde::Serialize)]
struct WireHref<'a> {
    href: &'a str,
}

#[derive(serde::Serialize)]
struct WireData {
    category: &'static str,
    name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<&'static str>,
}

/// An LSP diagnostic borrowing everything it can: written straight to JSON, without the
/// allocations of `ls_types::Diagnostic` and a `serde_json::Value` tree.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct WireDiagnostic<'a> {
    range: WireRange,
    severity: u8,
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code_description: Option<WireHref<'a>>,
    source: &'static str,
    message: &'a str,
    data: WireData,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<[u8; 1]>,
}

/// The documentation URL of each rule, by rule index.
fn docs_urls() -> &'static [String] {
    static URLS: OnceLock<Vec<String>> = OnceLock::new();
    URLS.get_or_init(|| {
        all_rules()
            .map(|r| format!("{DOCS_BASE}{}.md", r.code))
            .collect()
    })
}

/// Diagnostics as the JSON array of an LSP report or notification, and a hash of what the
/// client shows of them (the report's result id).
pub fn wire_diagnostics(
    diagnostics: &[Diagnostic],
    text: &str,
    lines: &LineIndex,
    encoding: Encoding,
) -> (Vec<u8>, u64) {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    diagnostics.len().hash(&mut hasher);
    let urls = docs_urls();
    let wire: Vec<WireDiagnostic> = diagnostics
        .iter()
        .map(|diagnostic| {
            let rule = diagnostic.rule.rule();
            let r = range(text, lines, diagnostic.range, encoding);
            (r.start.line, r.start.character, r.end.line, r.end.character).hash(&mut hasher);
            rule.code.hash(&mut hasher);
            diagnostic.message.hash(&mut hasher);
            WireDiagnostic {
                range: WireRange {
                    start: WirePosition {
                        line: r.start.line,
                        character: r.start.character,
                    },
                    end: WirePosition {
                        line: r.end.line,
                        character: r.end.character,
                    },
                },
                severity: match rule.severity {
                    Severity::Error => 1,
                    Severity::Warning => 2,
                    Severity::Info => 3,
                },
                code: rule.code,
                code_description: urls.get(rule.id as usize).map(|href| WireHref { href }),
                source: SOURCE,
                message: &diagnostic.message,
                data: WireData {
                    category: rule.category.as_str(),
                    name: rule.name,
                    fix: diagnostic.fix.as_ref().map(|f| f.applicability.as_str()),
                },
                tags: rule.name.starts_with("unused-").then_some([1]),
            }
        })
        .collect();
    let mut out = Vec::with_capacity(diagnostics.len() * 320 + 2);
    // Serializing borrowed strings and numbers into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut out, &wire);
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
