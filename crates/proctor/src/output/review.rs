//! `proctor review` / `--output-format review`: a written review per file, in the shape a human
//! reviewer writes — the security verdict first, then numbered observations grouped by category
//! (each naming the places and the change to make), then the fixes Proctor can apply.
//! Built only from the findings, so it is as deterministic as they are.

use std::collections::BTreeMap;
use std::io::{self, Write};

use proctor_linter::{Applicability, Category, Rule};

use super::{Located, located};
use crate::check::FileResult;

pub fn write(out: &mut impl Write, results: &[FileResult]) -> io::Result<()> {
    let all = located(results);
    let mut by_file: BTreeMap<&str, Vec<&Located>> = BTreeMap::new();
    for result in results {
        by_file.entry(result.display.as_str()).or_default();
    }
    for item in &all {
        by_file
            .entry(item.file.display.as_str())
            .or_default()
            .push(item);
    }
    let mut first = true;
    for (path, items) in by_file {
        if !first {
            writeln!(out)?;
        }
        first = false;
        write_file(out, path, &items)?;
    }
    Ok(())
}

fn write_file(out: &mut impl Write, path: &str, items: &[&Located]) -> io::Result<()> {
    writeln!(out, "Review of {path}")?;
    writeln!(out, "{}", "=".repeat(10 + path.chars().count()))?;
    writeln!(out)?;

    let (security, others): (Vec<&Located>, Vec<&Located>) = items
        .iter()
        .partition(|i| i.diagnostic.rule.rule().category == Category::Security);
    if security.is_empty() {
        writeln!(out, "No security defects are detected in the code.")?;
    } else {
        writeln!(
            out,
            "Security: {} defect{} to fix before anything else:",
            security.len(),
            if security.len() == 1 { "" } else { "s" }
        )?;
        for item in &security {
            let rule = item.diagnostic.rule.rule();
            writeln!(
                out,
                "- line {}: {} ({} {})",
                item.start.line, item.diagnostic.message, rule.code, rule.name
            )?;
        }
    }
    writeln!(out)?;

    if others.is_empty() {
        writeln!(out, "No other observations.")?;
        return Ok(());
    }

    // One observation per rule, grouped by category in catalog order.
    let mut by_rule: BTreeMap<(Category, &'static str), Vec<&Located>> = BTreeMap::new();
    for item in &others {
        let rule = item.diagnostic.rule.rule();
        by_rule
            .entry((rule.category, rule.code))
            .or_default()
            .push(item);
    }
    let mut number = 0;
    let mut current: Option<Category> = None;
    for ((category, _), findings) in &by_rule {
        if current != Some(*category) {
            writeln!(out, "{}", category.title())?;
            current = Some(*category);
        }
        number += 1;
        let rule = findings[0].diagnostic.rule.rule();
        let places = findings.len();
        writeln!(
            out,
            "{number}. {} ({} {}, {} place{}).",
            capitalise(rule.summary),
            rule.code,
            rule.name,
            places,
            if places == 1 { "" } else { "s" }
        )?;
        if let Some(why) = first_sentence(section(rule, "### Why it matters")) {
            writeln!(out, "   {why}")?;
        }
        for item in findings {
            writeln!(
                out,
                "   - line {}: {}",
                item.start.line, item.diagnostic.message
            )?;
        }
        writeln!(out, "   Change: {}", suggested_change(rule, findings))?;
        writeln!(out)?;
    }

    let fixes: Vec<&&Located> = others
        .iter()
        .chain(security.iter())
        .filter(|i| i.diagnostic.fix.is_some())
        .collect();
    if fixes.is_empty() {
        writeln!(
            out,
            "Proctor has no automatic fix for these; each rule's page explains what to write instead (`proctor rule CODE`)."
        )?;
        return Ok(());
    }
    writeln!(out, "Fixes Proctor can apply")?;
    // One line per distinct fix: a fix that resolves several findings at once (all of a
    // class's annotations, say) is listed once, with every line it answers.
    let mut fixes = fixes;
    fixes.sort_by_key(|i| (i.start, i.diagnostic.rule.code()));
    let mut listed: Vec<(&proctor_linter::Fix, &'static str, Vec<usize>)> = Vec::new();
    for item in fixes {
        let Some(fix) = &item.diagnostic.fix else {
            continue;
        };
        let code = item.diagnostic.rule.code();
        match listed
            .iter_mut()
            .find(|(f, c, _)| *c == code && f.edits == fix.edits)
        {
            Some((_, _, lines)) => lines.push(item.start.line),
            None => listed.push((fix, code, vec![item.start.line])),
        }
    }
    for (fix, code, lines) in listed {
        let how = match fix.applicability {
            Applicability::Safe => "safe: `proctor check --fix`, or fix-all in the editor",
            Applicability::Unsafe => {
                "unsafe, check the result: `proctor check --fix --unsafe-fixes`, or the quick fix in the editor"
            }
            Applicability::Refactor => "refactor, finish it by hand: the code action in the editor",
        };
        let lines: Vec<String> = lines.iter().map(usize::to_string).collect();
        let label = if lines.len() == 1 { "line" } else { "lines" };
        writeln!(
            out,
            "- {label} {}: {} ({code}; {how})",
            lines.join(", "),
            fix.message
        )?;
    }
    Ok(())
}

/// What to do about a rule's findings: its fix's title when every finding has the same one,
/// else the first sentence of the doc's "Use instead" prose, else of its "Fix" section.
fn suggested_change(rule: &Rule, findings: &[&Located]) -> String {
    let titles: Vec<&str> = findings
        .iter()
        .filter_map(|i| i.diagnostic.fix.as_ref())
        .map(|f| f.message.as_str())
        .collect();
    if !titles.is_empty() && titles.iter().all(|t| *t == titles[0]) {
        let title = titles[0].trim_end_matches('.');
        return if titles.len() == findings.len() {
            format!("{title} (Proctor can apply this: see below).")
        } else {
            format!(
                "{title} (Proctor can apply this for {} of the {} places: see below).",
                titles.len(),
                findings.len()
            )
        };
    }
    first_sentence(section(rule, "### Use instead"))
        .or_else(|| {
            // A "Fix" section of a rule without a fix starts by saying so ("None: …").
            let sentence = first_sentence(section(rule, "### Fix"))?;
            let rest = sentence
                .strip_prefix("None")
                .map(|r| r.trim_start_matches([':', '.', ' ', '—', '-']));
            Some(rest.map(capitalise).unwrap_or(sentence))
        })
        .unwrap_or_else(|| format!("see `proctor rule {}`.", rule.code))
}

/// The prose of a doc section (code blocks and the heading left out).
fn section<'a>(rule: &'a Rule, heading: &str) -> &'a str {
    let doc = rule.doc;
    let Some(start) = doc.find(heading) else {
        return "";
    };
    let body = &doc[start + heading.len()..];
    let end = body.find("\n### ").unwrap_or(body.len());
    &body[..end]
}

fn first_sentence(text: &str) -> Option<String> {
    let mut prose = String::new();
    let mut in_code = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_code = !in_code;
            if !prose.is_empty() {
                break;
            }
            continue;
        }
        if in_code {
            continue;
        }
        if trimmed.is_empty() {
            if prose.is_empty() {
                continue;
            }
            break;
        }
        if !prose.is_empty() {
            prose.push(' ');
        }
        prose.push_str(trimmed);
    }
    if prose.is_empty() {
        return None;
    }
    let end = sentence_end(&prose).unwrap_or(prose.len());
    let sentence = prose[..end].trim().trim_end_matches(':').to_string();
    Some(if sentence.ends_with('.') {
        sentence
    } else {
        format!("{sentence}.")
    })
}

/// The end of the first sentence: a `.` followed by a space and an upper-case letter, or the end.
fn sentence_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut in_code = false;
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'`' => in_code = !in_code,
            b'.' | b'!' | b'?' if !in_code => {
                let next = bytes.get(i + 1);
                let after = bytes.get(i + 2);
                if next.is_none()
                    || (next == Some(&b' ') && after.is_some_and(u8::is_ascii_uppercase))
                {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences() {
        assert_eq!(
            first_sentence("\nA test's name says what. Its docstring says why.\n").as_deref(),
            Some("A test's name says what.")
        );
        assert_eq!(
            first_sentence("```python\nx = 1\n```\nUse `a.b` instead. More.").as_deref(),
            Some("Use `a.b` instead.")
        );
        assert_eq!(
            first_sentence("Wrap it:\n\n```\nx\n```").as_deref(),
            Some("Wrap it.")
        );
        assert_eq!(first_sentence("").as_deref(), None);
    }
}
