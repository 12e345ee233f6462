//! Runs the enabled rules over a file.
//!
//! [`check_tree`] is the whole pipeline for one file. The language server uses the pieces —
//! [`UnitOutput::evaluate`] per unit and [`finish`] for the module and file checks — so it can
//! reuse the output of units an edit did not touch.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use tree_sitter::Tree;

use crate::diagnostic::Diagnostic;
use crate::model::{FileModel, UnitNode};
use crate::registry::{RuleId, RuleSet, all_rules};
use crate::rule::{FileContext, FunctionContext, ModuleContext, Rule};
use crate::settings::Settings;
use crate::summary::{FunctionSummary, summarize};
use crate::syntax::FieldMemo;
use crate::unit::Unit;
use crate::workspace::Workspace;

/// A rule that panicked: the rest of the file's findings still stand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RulePanic {
    pub rule: &'static str,
    pub message: String,
}

/// What checking one file produced.
#[derive(Clone, Debug, Default)]
pub struct FileOutput {
    /// Sorted by position, then code; suppressed findings removed.
    pub diagnostics: Vec<Diagnostic>,
    pub panics: Vec<RulePanic>,
}

/// The findings of the function checks of one unit, and its summaries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct UnitOutput {
    pub diagnostics: Vec<Diagnostic>,
    /// One per function of the unit, the unit's own function first; `parent` indices are
    /// local to the unit.
    pub summaries: Vec<FunctionSummary>,
    pub panics: Vec<(&'static str, String)>,
}

impl UnitOutput {
    /// Runs every enabled function check on every function of one unit.
    pub fn evaluate(
        file: &FileModel,
        settings: &Settings,
        rules: RuleSet,
        node: UnitNode,
    ) -> UnitOutput {
        let _memo = FieldMemo::new(file.tree);
        let unit = Unit::build(file, settings, node);
        let mut output = UnitOutput::default();
        if unit.too_deep {
            for function in &unit.functions {
                let ctx = FunctionContext {
                    file,
                    settings,
                    unit: &unit,
                    function,
                };
                output
                    .summaries
                    .push(crate::summary::summarize_opaque(&ctx));
            }
            return output;
        }
        for function in &unit.functions {
            let ctx = FunctionContext {
                file,
                settings,
                unit: &unit,
                function,
            };
            for rule in rules.iter() {
                if let Some(check) = rule.function_check {
                    run_guarded(rule, &mut output.diagnostics, &mut output.panics, |out| {
                        check(&ctx, out)
                    });
                }
            }
            output.summaries.push(summarize(&ctx));
        }
        output
    }

    /// Moves every range by `delta` bytes (the unit moved after an edit above it).
    pub fn shift(&mut self, delta: isize) {
        for diagnostic in &mut self.diagnostics {
            diagnostic.shift(delta);
        }
        for summary in &mut self.summaries {
            summary.shift(delta, 0);
        }
    }
}

fn run_guarded(
    rule: &Rule,
    out: &mut Vec<Diagnostic>,
    panics: &mut Vec<(&'static str, String)>,
    check: impl FnOnce(&mut Vec<Diagnostic>),
) {
    let before = out.len();
    let result = catch_unwind(AssertUnwindSafe(|| check(out)));
    if let Err(payload) = result {
        out.truncate(before);
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        panics.push((rule.code, message));
    }
}

/// Checks one parsed file with every enabled rule.
pub fn check_tree(
    tree: &Tree,
    source: &str,
    path: Option<&Path>,
    settings: &Settings,
    workspace: &Workspace,
) -> FileOutput {
    let _memo = FieldMemo::new(tree);
    let file = FileModel::build(tree, source, path);
    let rules = settings.rules_for(path);
    // The units are not kept: their findings and summaries are moved, not cloned.
    let mut diagnostics = Vec::new();
    let mut panics = Vec::new();
    let mut summaries = Vec::new();
    for node in &file.units {
        let unit = UnitOutput::evaluate(&file, settings, rules, *node);
        diagnostics.extend(unit.diagnostics);
        panics.extend(unit.panics);
        let offset = summaries.len();
        summaries.extend(unit.summaries.into_iter().map(|mut s| {
            s.shift(0, offset);
            s
        }));
    }
    finish_assembled(
        &file,
        settings,
        rules,
        workspace,
        diagnostics,
        &summaries,
        panics,
    )
}

/// Runs the module and file checks over evaluated units, then filters and sorts.
pub fn finish(
    file: &FileModel,
    settings: &Settings,
    rules: RuleSet,
    workspace: &Workspace,
    units: &[UnitOutput],
) -> FileOutput {
    let shifted: Vec<(&UnitOutput, isize)> = units.iter().map(|u| (u, 0)).collect();
    finish_shifted(file, settings, rules, workspace, &shifted)
}

/// [`finish`] over unit outputs computed where the unit used to be: each is moved by its
/// delta (in bytes) as it is copied, so a reused output is copied once, not twice.
pub fn finish_shifted(
    file: &FileModel,
    settings: &Settings,
    rules: RuleSet,
    workspace: &Workspace,
    units: &[(&UnitOutput, isize)],
) -> FileOutput {
    let mut diagnostics = Vec::new();
    let mut panics: Vec<(&'static str, String)> = Vec::new();
    let mut summaries = Vec::with_capacity(units.iter().map(|(u, _)| u.summaries.len()).sum());
    for &(unit, delta) in units {
        diagnostics.extend(unit.diagnostics.iter().cloned().map(|mut d| {
            if delta != 0 {
                d.shift(delta);
            }
            d
        }));
        panics.extend(unit.panics.iter().cloned());
        let offset = summaries.len();
        summaries.extend(unit.summaries.iter().cloned().map(|mut s| {
            s.shift(delta, offset);
            s
        }));
    }
    finish_assembled(
        file,
        settings,
        rules,
        workspace,
        diagnostics,
        &summaries,
        panics,
    )
}

/// [`finish`] for a caller that keeps the units' results assembled itself (the language
/// server updates them in place across edits): `diagnostics` are the function checks'
/// findings, `summaries` every function's summary in source order (`parent` indexing this
/// slice), `panics` the function checks' panics.
pub fn finish_assembled(
    file: &FileModel,
    settings: &Settings,
    rules: RuleSet,
    workspace: &Workspace,
    mut diagnostics: Vec<Diagnostic>,
    summaries: &[FunctionSummary],
    mut panics: Vec<(&'static str, String)>,
) -> FileOutput {
    let (whole, whole_panics) = whole_file_checks(file, settings, rules, workspace, summaries);
    diagnostics.extend(whole);
    panics.extend(whole_panics);
    crate::fixes::resolve_required_imports(file, &mut diagnostics);
    FileOutput {
        diagnostics: filter_and_sort(file.source, rules, diagnostics),
        panics: panics
            .into_iter()
            .map(|(rule, message)| RulePanic { rule, message })
            .collect(),
    }
}

/// The module and file checks alone: their findings (unfiltered, unsorted) and panics.
pub fn whole_file_checks(
    file: &FileModel,
    settings: &Settings,
    rules: RuleSet,
    workspace: &Workspace,
    summaries: &[FunctionSummary],
) -> (Vec<Diagnostic>, Vec<(&'static str, String)>) {
    let _memo = FieldMemo::new(file.tree);
    let mut diagnostics = Vec::new();
    let mut panics = Vec::new();
    let module_ctx = ModuleContext { file, settings };
    let file_ctx = FileContext::new(file, settings, summaries, workspace);
    for rule in rules.iter() {
        if let Some(check) = rule.module_check {
            run_guarded(rule, &mut diagnostics, &mut panics, |out| {
                check(&module_ctx, out)
            });
        }
        if let Some(check) = rule.file_check {
            run_guarded(rule, &mut diagnostics, &mut panics, |out| {
                check(&file_ctx, out)
            });
        }
    }
    (diagnostics, panics)
}

/// The last step of a check: drops findings of disabled rules and those suppressed by
/// `noqa`, sorts, and removes duplicates. (Fixes' required imports must be resolved before:
/// see [`crate::fixes::resolve_required_imports`].)
pub fn filter_and_sort(
    source: &str,
    rules: RuleSet,
    mut diagnostics: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    diagnostics.retain(|d| rules.contains(d.rule));
    let mut diagnostics = sorted(diagnostics);
    crate::noqa::filter(source, &mut diagnostics);
    diagnostics.dedup();
    diagnostics
}

/// Sorted by position, then code (rule ids are in code order), then message; stable. The
/// order is worked out on small keys and each finding is moved once: a big file's thousands
/// of findings are sorted on every keystroke in the language server.
pub fn sorted(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut order: Vec<(usize, usize, RuleId, usize)> = diagnostics
        .iter()
        .enumerate()
        .map(|(index, d)| (d.range.start, d.range.end, d.rule, index))
        .collect();
    order.sort_unstable_by(|a, b| {
        (a.0, a.1, a.2)
            .cmp(&(b.0, b.1, b.2))
            .then_with(|| diagnostics[a.3].message.cmp(&diagnostics[b.3].message))
            .then(a.3.cmp(&b.3))
    });
    let mut slots: Vec<Option<Diagnostic>> = diagnostics.into_iter().map(Some).collect();
    order
        .iter()
        .filter_map(|&(_, _, _, index)| slots.get_mut(index).and_then(Option::take))
        .collect()
}

/// Parses and checks a source text.
pub fn check_source(
    source: &str,
    path: Option<&Path>,
    settings: &Settings,
    workspace: &Workspace,
) -> FileOutput {
    let tree = crate::parse::parse(source, None);
    check_tree(&tree, source, path, settings, workspace)
}

/// The rules that have any check, for listing.
pub fn rule_count() -> usize {
    all_rules().count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::TextRange;

    #[test]
    fn sorted_orders_by_position_code_and_message_and_keeps_ties_in_order() {
        let d = |start, end, rule, message: &str| {
            Diagnostic::new(rule, TextRange::new(start, end), message)
        };
        let input = vec![
            d(10, 20, RuleId::SleepInTest, "b"),
            d(0, 5, RuleId::UndocumentedHelper, "x"),
            d(10, 20, RuleId::MissingTestDocstring, "z"),
            d(10, 20, RuleId::SleepInTest, "a"),
            d(0, 5, RuleId::UndocumentedHelper, "x").with_fix(crate::diagnostic::Fix::safe(
                "second of two equal findings",
                Vec::new(),
            )),
            d(0, 3, RuleId::SleepInTest, "y"),
        ];
        let mut expected = input.clone();
        expected.sort_by(|a, b| {
            (a.range.start, a.range.end, a.rule.code(), &a.message).cmp(&(
                b.range.start,
                b.range.end,
                b.rule.code(),
                &b.message,
            ))
        });
        let got = sorted(input);
        assert_eq!(got, expected);
        assert_eq!(got[0].range, TextRange::new(0, 3));
        assert!(
            got[1].fix.is_none() && got[2].fix.is_some(),
            "ties keep their order"
        );
        assert_eq!(got[3].rule, RuleId::MissingTestDocstring);
        assert_eq!(
            (got[4].message.as_str(), got[5].message.as_str()),
            ("a", "b")
        );
    }
}
