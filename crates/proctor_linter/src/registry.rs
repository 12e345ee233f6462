//! The one list of every rule, and sets of rules.
//!
//! The list itself is the `registry!` invocation in [`crate::rules`]; this module holds what
//! is derived from it: lookups by code or name, and [`RuleSet`].

use crate::rule::{Category, Rule};
pub use crate::rules::{RULES, RuleId};

impl RuleId {
    pub fn rule(self) -> &'static Rule {
        RULES[self as usize]
    }

    pub fn code(self) -> &'static str {
        self.rule().code
    }

    pub fn name(self) -> &'static str {
        self.rule().name
    }
}

/// Every rule, in code order.
pub fn all_rules() -> impl Iterator<Item = &'static Rule> {
    RULES.iter().copied()
}

/// The rule with this code (`TQ301`) or name (`sleep-in-test`).
pub fn find_rule(code_or_name: &str) -> Option<&'static Rule> {
    let wanted = code_or_name.trim();
    all_rules().find(|r| r.code.eq_ignore_ascii_case(wanted) || r.name == wanted)
}

/// A set of rules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RuleSet(u128);

impl RuleSet {
    pub const fn empty() -> Self {
        Self(0)
    }

    pub fn all() -> Self {
        all_rules().map(|r| r.id).collect()
    }

    /// The rules that are on by default.
    pub fn defaults() -> Self {
        all_rules()
            .filter(|r| r.default_enabled)
            .map(|r| r.id)
            .collect()
    }

    pub fn insert(&mut self, rule: RuleId) {
        self.0 |= 1 << (rule as u32);
    }

    pub fn remove(&mut self, rule: RuleId) {
        self.0 &= !(1 << (rule as u32));
    }

    pub fn contains(&self, rule: RuleId) -> bool {
        self.0 & (1 << (rule as u32)) != 0
    }

    pub fn extend(&mut self, other: RuleSet) {
        self.0 |= other.0;
    }

    pub fn remove_all(&mut self, other: RuleSet) {
        self.0 &= !other.0;
    }

    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = &'static Rule> {
        all_rules().filter(move |r| self.contains(r.id))
    }

    /// Parses one selector: `ALL`, a code (`TQ301`), a code prefix (`TQ3`, `TQ30`), a rule name
    /// (`sleep-in-test`) or a category (`timing`).
    pub fn parse_selector(selector: &str) -> Result<RuleSet, String> {
        let selector = selector.trim();
        if selector.eq_ignore_ascii_case("ALL") {
            return Ok(Self::all());
        }
        if let Some(category) = Category::ALL.iter().find(|c| c.as_str() == selector) {
            return Ok(all_rules()
                .filter(|r| r.category == *category)
                .map(|r| r.id)
                .collect());
        }
        if let Some(rule) = all_rules().find(|r| r.name == selector) {
            return Ok(std::iter::once(rule.id).collect());
        }
        let upper = selector.to_ascii_uppercase();
        if upper.starts_with("TQ") && upper[2..].chars().all(|c| c.is_ascii_digit()) {
            let set: RuleSet = all_rules()
                .filter(|r| r.code.starts_with(&upper))
                .map(|r| r.id)
                .collect();
            if !set.is_empty() || upper.len() < 5 {
                return Ok(set);
            }
        }
        Err(format!(
            "unknown rule selector `{selector}` (expected a rule code such as TQ301, a code prefix such as TQ3, a rule name such as sleep-in-test, a category such as timing, or ALL)"
        ))
    }
}

impl FromIterator<RuleId> for RuleSet {
    fn from_iter<I: IntoIterator<Item = RuleId>>(iter: I) -> Self {
        let mut set = RuleSet::empty();
        for rule in iter {
            set.insert(rule);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_in_code_order_with_matching_ids() {
        for (index, rule) in RULES.iter().enumerate() {
            assert_eq!(
                rule.id as usize, index,
                "{} is listed out of place",
                rule.code
            );
        }
        for pair in RULES.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{} must come before {}",
                pair[1].code,
                pair[0].code
            );
        }
        assert!(RULES.len() <= 128, "RuleSet holds at most 128 rules");
    }

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for rule in RULES {
            assert!(seen.insert(rule.code), "duplicate code {}", rule.code);
            assert!(seen.insert(rule.name), "duplicate name {}", rule.name);
            assert!(
                rule.code.len() == 5 && rule.code.starts_with("TQ"),
                "{}",
                rule.code
            );
            assert!(
                rule.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()),
                "{} is not kebab-case",
                rule.name
            );
            let digit = rule.code.as_bytes()[2];
            let expected = match rule.category {
                Category::Docs => b'1',
                Category::Naming | Category::Typing => b'2',
                Category::Timing => b'3',
                Category::Mocking => b'4',
                Category::Assertions => b'5',
                Category::Structure => b'6',
                Category::Fixtures => b'7',
                Category::Security => b'8',
            };
            assert_eq!(
                digit, expected,
                "{} is in the wrong category block",
                rule.code
            );
            assert!(
                rule.function_check.is_some()
                    || rule.module_check.is_some()
                    || rule.file_check.is_some(),
                "{} has no check",
                rule.code
            );
        }
    }

    #[test]
    fn selectors() {
        let first = RULES[0];
        assert!(
            RuleSet::parse_selector(first.code)
                .unwrap()
                .contains(first.id)
        );
        assert!(
            RuleSet::parse_selector(first.name)
                .unwrap()
                .contains(first.id)
        );
        assert!(
            RuleSet::parse_selector(first.category.as_str())
                .unwrap()
                .contains(first.id)
        );
        assert!(RuleSet::parse_selector("TQ").unwrap().contains(first.id));
        assert_eq!(RuleSet::parse_selector("all").unwrap(), RuleSet::all());
        assert!(RuleSet::parse_selector("TQ999").is_err());
        assert!(RuleSet::parse_selector("no-such-rule").is_err());
    }
}
