//! `# noqa` suppression.
//!
//! `# noqa` alone on a line suppresses every finding that starts on that line;
//! `# noqa: TQ301, sleep-in-test` suppresses only the listed rules (codes or names).

use crate::diagnostic::Diagnostic;
use crate::registry::RuleId;

/// What a line's `noqa` comment suppresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Suppression {
    All,
    Rules(Vec<String>),
}

/// Parses the `noqa` directive on a line of source, if any.
pub fn parse_line(line: &str) -> Option<Suppression> {
    let hash = line.find('#')?;
    let mut rest = &line[hash..];
    loop {
        let comment = rest.trim_start_matches('#').trim_start();
        if let Some(after) = comment
            .get(..4)
            .filter(|word| word.eq_ignore_ascii_case("noqa"))
            .and_then(|_| comment.get(4..))
        {
            let Some(list) = after.trim_start().strip_prefix(':') else {
                // `# noqa` (or `# noqa` followed by prose) suppresses everything.
                return Some(Suppression::All);
            };
            let codes: Vec<String> = list
                .split([',', ' ', '\t'])
                .map(str::trim)
                .take_while(|s| !s.starts_with('#'))
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            return Some(if codes.is_empty() {
                Suppression::All
            } else {
                Suppression::Rules(codes)
            });
        }
        // Look for a later `#` on the same line (`# type: ignore  # noqa: TQ101`).
        let next = rest[1..].find('#')?;
        rest = &rest[1 + next..];
    }
}

impl Suppression {
    pub fn suppresses(&self, rule: RuleId) -> bool {
        match self {
            Suppression::All => true,
            Suppression::Rules(list) => list
                .iter()
                .any(|item| item.eq_ignore_ascii_case(rule.code()) || item == rule.name()),
        }
    }
}

/// Removes findings suppressed by a `noqa` comment on their first line.
pub fn filter(source: &str, diagnostics: &mut Vec<Diagnostic>) {
    let directives = directives(source);
    if directives.is_empty() {
        return;
    }
    diagnostics.retain(|diagnostic| {
        let offset = diagnostic.range.start;
        // The last directive line starting at or before the finding.
        let index = directives.partition_point(|d| d.start <= offset);
        !index
            .checked_sub(1)
            .and_then(|i| directives.get(i))
            .is_some_and(|d| offset < d.next && d.suppression.suppresses(diagnostic.rule))
    });
}

/// A line holding a `noqa` directive: where it starts, where the next line starts.
struct Directive {
    start: usize,
    next: usize,
    suppression: Suppression,
}

/// Every `noqa` directive of a text, in order. Only lines with a `#` are read, found with
/// `memchr` (a big file's findings are filtered on every keystroke in the language server).
/// Lines end as [`crate::text::LineIndex`] ends them: at `\n`, `\r\n` or a lone `\r`.
fn directives(source: &str) -> Vec<Directive> {
    let bytes = source.as_bytes();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(hash) = bytes
        .get(from..)
        .and_then(|rest| memchr::memchr(b'#', rest))
    {
        let hash = from + hash;
        let start = memchr::memrchr2(b'\n', b'\r', &bytes[..hash]).map_or(0, |i| i + 1);
        let end = memchr::memchr2(b'\n', b'\r', &bytes[hash..]).map_or(bytes.len(), |i| hash + i);
        let next = match bytes.get(end) {
            Some(b'\r') if bytes.get(end + 1) == Some(&b'\n') => end + 2,
            Some(_) => end + 1,
            None => end,
        };
        if let Some(suppression) = source.get(start..end).and_then(parse_line) {
            found.push(Directive {
                start,
                next: next.max(end + 1),
                suppression,
            });
        }
        from = next.max(hash + 1);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives() {
        assert_eq!(parse_line("x = 1  # noqa"), Some(Suppression::All));
        assert_eq!(parse_line("x = 1  # NOQA because"), Some(Suppression::All));
        assert_eq!(
            parse_line("time.sleep(1)  # noqa: TQ301, sleep-in-test"),
            Some(Suppression::Rules(vec![
                "TQ301".into(),
                "sleep-in-test".into()
            ]))
        );
        assert_eq!(
            parse_line("x  # type: ignore  # noqa:TQ101"),
            Some(Suppression::Rules(vec!["TQ101".into()]))
        );
        assert_eq!(parse_line("x = 1  # no qa"), None);
        assert_eq!(parse_line("x = 1"), None);
        // A comment whose fourth byte is inside a character.
        assert_eq!(parse_line("x = 1  # n  🙂 text"), None);
        assert_eq!(parse_line("x = 1  # é"), None);
    }

    #[test]
    fn filter_reads_each_lines_directive() {
        use crate::text::TextRange;
        let source =
            "a = '#'  # noqa: TQ301\r\nb  # NoQa\rc = 1  # noqa: TQ101\nd = '#'\ne  # noqa";
        let at = |needle: &str, rule| {
            let start = source.find(needle).unwrap();
            Diagnostic::new(rule, TextRange::new(start, start + 1), needle)
        };
        let mut diagnostics = vec![
            at("a =", RuleId::SleepInTest),
            at("a =", RuleId::MissingTestDocstring),
            at("b ", RuleId::MissingTestDocstring),
            at("c =", RuleId::SleepInTest),
            at("c =", RuleId::MissingTestDocstring),
            at("d =", RuleId::SleepInTest),
            at("e ", RuleId::SleepInTest),
        ];
        // A finding that starts on a line break belongs to the line the break ends.
        let line_break = source.find("\r\n").unwrap();
        diagnostics.push(Diagnostic::new(
            RuleId::SleepInTest,
            TextRange::new(line_break, line_break + 2),
            "break",
        ));
        filter(source, &mut diagnostics);
        let kept: Vec<(&str, &str)> = diagnostics
            .iter()
            .map(|d| (d.message.as_str(), d.rule.code()))
            .collect();
        assert_eq!(kept, [("a =", "TQ101"), ("c =", "TQ301"), ("d =", "TQ301")]);
    }
}
