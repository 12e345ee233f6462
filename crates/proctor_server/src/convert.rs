//! Linter findings → LSP diagnostics.

use std::str::FromStr;
use std::sync::OnceLock;

use proctor_linter::{Diagnostic, LineIndex, Rule, Severity, all_rules};
use serde_json::{Map, Value};
use tower_lsp_server::ls_types::{
    self, CodeDescription, DiagnosticSeverity, DiagnosticTag, NumberOrString, Range, Uri,
};

use crate::position::{Encoding, Positioner, range};

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
    let mut data = Map::with_capacity(2);
    data.insert("category".into(), Value::from(rule.category.as_str()));
    data.insert("name".into(), Value::from(rule.name));
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

/// The parts of a rule's diagnostics that never change, as JSON: everything between the
/// range and the message (severity, code, docs, source), the `data` object (category and
/// name), and the tags.
struct RuleJson {
    middle: String,
    data: String,
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
                let mut data = Map::new();
                data.insert("category".into(), Value::from(rule.category.as_str()));
                data.insert("name".into(), Value::from(rule.name));
                RuleJson {
                    middle,
                    data: Value::Object(data).to_string(),
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
    let wire = WireRanges::new(diagnostics, text, lines, encoding);
    (wire.items(diagnostics), wire.hash)
}

/// The LSP ranges of a list of diagnostics and the hash of what a client shows of them (a
/// report's result id): enough to answer "unchanged" without writing the report.
pub struct WireRanges {
    ranges: Vec<Range>,
    pub hash: u64,
}

impl WireRanges {
    pub fn new(
        diagnostics: &[Diagnostic],
        text: &str,
        lines: &LineIndex,
        encoding: Encoding,
    ) -> Self {
        let mut hash = Mix::new(diagnostics.len() as u64);
        let mut positioner = Positioner::new(text, lines, encoding);
        let ranges = diagnostics
            .iter()
            .map(|diagnostic| {
                let r = positioner.range(diagnostic.range);
                for n in [r.start.line, r.start.character, r.end.line, r.end.character] {
                    hash.add(u64::from(n));
                }
                hash.add(diagnostic.rule as u64);
                hash.add(xxhash_rust::xxh3::xxh3_64(diagnostic.message.as_bytes()));
                r
            })
            .collect();
        Self {
            ranges,
            hash: hash.finish(),
        }
    }

    /// The JSON array of the diagnostics these ranges were computed for.
    pub fn items(&self, diagnostics: &[Diagnostic]) -> Vec<u8> {
        let rules = rule_json();
        let mut out = Vec::with_capacity(diagnostics.len() * 400 + 2);
        out.push(b'[');
        let mut first = true;
        for (diagnostic, r) in diagnostics.iter().zip(&self.ranges) {
            let Some(json) = rules.get(diagnostic.rule as usize) else {
                continue;
            };
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(br#"{"range":{"start":{"line":"#);
            push_number(&mut out, r.start.line);
            out.extend_from_slice(br#","character":"#);
            push_number(&mut out, r.start.character);
            out.extend_from_slice(br#"},"end":{"line":"#);
            push_number(&mut out, r.end.line);
            out.extend_from_slice(br#","character":"#);
            push_number(&mut out, r.end.character);
            out.extend_from_slice(b"}},");
            out.extend_from_slice(json.middle.as_bytes());
            out.extend_from_slice(br#""message":"#);
            // Serializing a string into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut out, diagnostic.message.as_str());
            out.extend_from_slice(br#","data":"#);
            out.extend_from_slice(json.data.as_bytes());
            out.extend_from_slice(json.tags.as_bytes());
            out.push(b'}');
        }
        out.push(b']');
        out
    }
}

/// Writes a number in decimal.
fn push_number(out: &mut Vec<u8>, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// A fast order-sensitive hash of a sequence of words.
struct Mix(u64);

impl Mix {
    fn new(seed: u64) -> Self {
        Mix(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hash of what a client shows of a list of diagnostics: the result id of a report (the
    /// same as [`wire_diagnostics`] computes).
    fn report_hash(items: &[ls_types::Diagnostic]) -> u64 {
        let mut hash = Mix::new(items.len() as u64);
        for item in items {
            let r = item.range;
            for n in [r.start.line, r.start.character, r.end.line, r.end.character] {
                hash.add(u64::from(n));
            }
            let code = match &item.code {
                Some(NumberOrString::String(code)) => code.as_str(),
                _ => "",
            };
            hash.add(proctor_linter::find_rule(code).map_or(u64::MAX, |rule| rule.id as u64));
            hash.add(xxhash_rust::xxh3::xxh3_64(item.message.as_bytes()));
        }
        hash.finish()
    }

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
