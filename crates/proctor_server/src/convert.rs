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
