//! `# noqa` suppression.
//!
//! `# noqa` alone on a line suppresses every finding that starts on that line;
//! `# noqa: TQ301, sleep-in-test` suppresses only the listed rules (codes or names).

use crate::diagnostic::Diagnostic;
use crate::registry::RuleId;
use crate::text::LineIndex;

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
pub fn filter(source: &str, lines: &LineIndex, diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.retain(|diagnostic| {
        let line = lines.line_of(diagnostic.range.start);
        let text = &source[lines.line_range(line, source).as_range()];
        !parse_line(text).is_some_and(|s| s.suppresses(diagnostic.rule))
    });
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
}
