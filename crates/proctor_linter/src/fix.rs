//! Applying fixes without ever corrupting a file.
//!
//! Fixes are applied in rounds: check, apply every non-overlapping allowed fix, re-parse, and
//! repeat until nothing is left to fix (at most [`MAX_ROUNDS`] rounds). A round whose result
//! has more syntax errors than its input is undone and its fixes are retried one by one; a fix
//! that still adds a syntax error on its own is dropped.

use std::collections::BTreeMap;
use std::path::Path;

use tree_sitter::Tree;

use crate::diagnostic::{Applicability, Edit, Fix};
use crate::engine::check_tree;
use crate::parse::parse;
use crate::registry::RuleId;
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const MAX_ROUNDS: usize = 20;

/// Which fixes to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixMode {
    /// Safe fixes only (`--fix`, `source.fixAll`).
    Safe,
    /// Safe and unsafe fixes (`--fix --unsafe-fixes`). Refactors are never applied in bulk.
    Unsafe,
    /// Every fix, refactors included: for the rules' own fixture tests.
    All,
}

impl FixMode {
    pub fn allows(self, applicability: Applicability) -> bool {
        match applicability {
            Applicability::Safe => true,
            Applicability::Unsafe => matches!(self, FixMode::Unsafe | FixMode::All),
            Applicability::Refactor => self == FixMode::All,
        }
    }
}

/// The result of fixing one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FixResult {
    pub source: String,
    /// How many fixes of each rule were applied.
    pub applied: BTreeMap<RuleId, usize>,
    /// Fixes dropped because they would have introduced a syntax error.
    pub dropped: usize,
    pub rounds: usize,
}

impl FixResult {
    pub fn changed(&self) -> bool {
        !self.applied.is_empty()
    }

    pub fn applied_count(&self) -> usize {
        self.applied.values().sum()
    }
}

/// Applies fixes to a fixed point.
pub fn fix_source(
    source: &str,
    path: Option<&Path>,
    settings: &Settings,
    workspace: &Workspace,
    mode: FixMode,
) -> FixResult {
    let mut result = FixResult {
        source: source.to_string(),
        ..FixResult::default()
    };
    let mut tree = parse(source, None);
    let mut rejected: Vec<Fix> = Vec::new();
    while result.rounds < MAX_ROUNDS {
        let output = check_tree(&tree, &result.source, path, settings, workspace);
        let candidates: Vec<(RuleId, Fix)> = output
            .diagnostics
            .into_iter()
            .filter_map(|d| d.fix.map(|f| (d.rule, f)))
            .filter(|(_, f)| mode.allows(f.applicability) && !rejected.contains(f))
            .collect();
        if candidates.is_empty() {
            break;
        }
        result.rounds += 1;
        let chosen = non_overlapping(candidates);
        let before_errors = error_count(&tree);
        let all_edits: Vec<&Edit> = chosen.iter().flat_map(|(_, f)| &f.edits).collect();
        let attempt = apply_edits(&result.source, &all_edits);
        let attempt_tree = parse(&attempt, None);
        if error_count(&attempt_tree) <= before_errors {
            for (rule, _) in &chosen {
                *result.applied.entry(*rule).or_default() += 1;
            }
            result.source = attempt;
            tree = attempt_tree;
            continue;
        }
        // Some fix in this round breaks the syntax: apply them one at a time instead, keeping
        // only those that do not add errors. Later fixes' offsets are only valid against the
        // text they were computed for, so the round stops at the first applied fix.
        for (rule, fix) in chosen {
            let edits: Vec<&Edit> = fix.edits.iter().collect();
            let single = apply_edits(&result.source, &edits);
            let single_tree = parse(&single, None);
            if error_count(&single_tree) <= before_errors {
                *result.applied.entry(rule).or_default() += 1;
                result.source = single;
                tree = single_tree;
                break;
            }
            result.dropped += 1;
            rejected.push(fix);
        }
    }
    result
}

/// Keeps fixes whose edits do not overlap an earlier kept fix's edits.
fn non_overlapping(mut candidates: Vec<(RuleId, Fix)>) -> Vec<(RuleId, Fix)> {
    candidates.sort_by_key(|(rule, fix)| (fix.range().map(|r| r.start), *rule));
    let mut kept: Vec<(RuleId, Fix)> = Vec::new();
    for (rule, fix) in candidates {
        let clashes = kept.iter().any(|(_, other)| {
            fix.edits.iter().any(|a| {
                other.edits.iter().any(|b| {
                    a.range.intersects(b.range)
                        || a.range.start == b.range.start
                        || (a.range.is_empty()
                            && b.range.start < a.range.start
                            && a.range.start < b.range.end)
                        || (b.range.is_empty()
                            && a.range.start < b.range.start
                            && b.range.start < a.range.end)
                })
            })
        });
        if !clashes {
            kept.push((rule, fix));
        }
    }
    kept
}

/// Applies non-overlapping edits to a text.
pub fn apply_edits(source: &str, edits: &[&Edit]) -> String {
    let mut sorted: Vec<&Edit> = edits.to_vec();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(source.len() + 64);
    let mut cursor = 0;
    for edit in sorted {
        let start = edit.range.start.clamp(cursor, source.len());
        let end = edit.range.end.clamp(start, source.len());
        if !source.is_char_boundary(start) || !source.is_char_boundary(end) {
            continue;
        }
        out.push_str(&source[cursor..start]);
        out.push_str(&edit.content);
        cursor = end;
    }
    out.push_str(&source[cursor..]);
    out
}

/// Applies one fix to a text.
pub fn apply_fix(source: &str, fix: &Fix) -> String {
    let edits: Vec<&Edit> = fix.edits.iter().collect();
    apply_edits(source, &edits)
}

/// The number of error and missing nodes in a tree.
pub fn error_count(tree: &Tree) -> usize {
    let root = tree.root_node();
    if !root.has_error() {
        return 0;
    }
    let mut count = 0;
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            count += 1;
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if child.has_error() || child.is_missing() {
                stack.push(child);
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::TextRange;

    #[test]
    fn edits_apply_in_order() {
        let a = Edit::insert(0, "# hi\n");
        let b = Edit::replace(TextRange::new(4, 5), "2");
        assert_eq!(apply_edits("x = 1\n", &[&b, &a]), "# hi\nx = 2\n");
    }

    #[test]
    fn overlapping_fixes_wait_for_the_next_round() {
        let first = Fix::safe("a", vec![Edit::replace(TextRange::new(0, 4), "x")]);
        let second = Fix::safe("b", vec![Edit::replace(TextRange::new(2, 6), "y")]);
        let third = Fix::safe("c", vec![Edit::insert(8, "z")]);
        let rule = crate::registry::RULES[0].id;
        let kept = non_overlapping(vec![(rule, first), (rule, second), (rule, third)]);
        assert_eq!(kept.len(), 2);
    }

    #[test]
    fn error_counts() {
        assert_eq!(error_count(&parse("x = 1\n", None)), 0);
        assert!(error_count(&parse("x = (\n", None)) > 0);
    }
}
