//! Incremental checking of one document.
//!
//! An [`Analyzer`] belongs to one open document and turns snapshots of its text into
//! [`Analysis`]es (diagnostics for one version). Four mechanisms keep that cheap on every
//! keystroke:
//!
//! - **Incremental parsing.** The analyzer keeps the last complete syntax tree and brings it up
//!   to the requested version with the edit log's `InputEdit`s (`Tree::edit`), then reparses
//!   with tree-sitter reusing every unchanged subtree. A whole-document replacement drops the
//!   tree and parses from scratch.
//! - **A unit cache.** A unit's function-check output depends only on the unit's own text
//!   (from the start of its first line, with the comment lines right above it) and on the
//!   skeleton's position-free facts ([`FileModel::context_fingerprint`]), so outputs are
//!   cached under that key and reused — moved to where the unit is now — for every unit an
//!   edit did not touch. A unit with syntax errors is the exception: error recovery may parse
//!   the same text differently in another context, so it is always checked again.
//! - **An assembly updated in place.** The file checks read every function's summary; the
//!   assembled list is kept across analyses, so an edit costs the edited unit's results plus a
//!   shift of the units after it, not a copy of the whole file's.
//! - **Provisional analyses for the tail.** While typing, tree-sitter's error recovery often
//!   reparses much of the file (an unclosed parenthesis swallows what follows: 100–300 ms on a
//!   1.5 MB file), and the module and file checks cost tens of milliseconds there too. When
//!   every edit since the last complete check lies inside function bodies (the usual case),
//!   the parse runs under a budget (zero by default for documents that are not small). If it
//!   runs out, the analysis is answered *provisionally*: each edited function is parsed on its
//!   own (the parser's included range limited to its lines, so positions stay those of the
//!   whole document; the last such tree is kept and edited along, so the next keystroke in
//!   the same function reparses it incrementally) and checked against the last complete
//!   check's [`Skeleton`] (edits inside function bodies cannot change it); every other unit's
//!   results are reused from the assembly as they stand, moved along; the last
//!   complete check's module and file findings are moved along by the edits. The caller then
//!   finishes the parse in the background once the typing pauses and reconciles: the exact
//!   analysis replaces the provisional one, and the client hears about it if the diagnostics
//!   differ.

use std::collections::{HashMap, VecDeque};
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock, mpsc};
use std::time::{Duration, Instant};

use proctor_linter::engine::{self, RulePanic, UnitOutput};
use proctor_linter::model::{FileModel, Skeleton, UnitNode};
use proctor_linter::summary::FunctionSummary;
use proctor_linter::syntax::{Field, Kind, field, kind};
use proctor_linter::{Diagnostic, LineIndex, RuleSet, Settings, TextRange, Workspace};
use tree_sitter::{InputEdit, ParseOptions, Parser, Range, Tree};

use crate::document::{Change, Snapshot};

/// Everything besides the text that decides a document's diagnostics.
#[derive(Debug)]
pub struct CheckConfig {
    /// Unique per configuration: a new one is made whenever settings or the workspace change.
    pub id: u64,
    /// What function checks see of the configuration (the settings and the file's path; not
    /// the workspace, which only file checks read): part of the unit cache key.
    pub unit_id: u64,
    pub settings: Arc<Settings>,
    /// The rules enabled for this file (after `per-file-ignores`).
    pub rules: RuleSet,
    pub path: Option<PathBuf>,
    /// Only test files are checked.
    pub is_test: bool,
    pub workspace: Arc<Workspace>,
}

impl CheckConfig {
    pub fn new(
        settings: Arc<Settings>,
        path: Option<PathBuf>,
        is_test: bool,
        workspace: Arc<Workspace>,
    ) -> Self {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let rules = settings.rules_for(path.as_deref());
        let unit_id = {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            settings.fingerprint().hash(&mut hasher);
            rules.hash(&mut hasher);
            path.hash(&mut hasher);
            hasher.finish()
        };
        Self {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            unit_id,
            settings,
            rules,
            path,
            is_test,
            workspace,
        }
    }
}

/// How long an analysis may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Parse for at most this long, then answer provisionally if the edits allow it.
    Budget(Duration),
    /// Finish the parse: an exact analysis.
    Exact,
}

/// Why an analysis stopped before finishing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The request was cancelled or the document closed.
    Cancelled,
    /// A request is waiting for the analyzer (background work yields to it).
    Preempted,
    /// The text changed again (background work moves on to the newest text).
    Superseded,
}

/// The diagnostics of one version of a document.
#[derive(Debug)]
pub struct Analysis {
    pub seq: u64,
    pub version: i32,
    pub text: Arc<String>,
    pub lines: Arc<LineIndex>,
    pub config_id: u64,
    /// From a complete parse. A provisional analysis (from a budgeted parse's fallback) is
    /// replaced by an exact one once the parse finishes.
    pub exact: bool,
    /// The syntax tree (test files only): a complete parse for an exact analysis; for a
    /// provisional one, the last complete parse moved along by the edits, right everywhere
    /// but in the `stale` ranges.
    tree: Option<Tree>,
    /// Where a provisional analysis's tree does not match the text (the edited functions).
    stale: Vec<TextRange>,
    /// Sorted by position, suppressed findings removed.
    pub diagnostics: Vec<Diagnostic>,
    pub panics: Vec<RulePanic>,
}

impl Analysis {
    /// The tree, if it matches the text over `range` (touching a stale range counts).
    pub fn tree_for(&self, range: TextRange) -> Option<&Tree> {
        let stale = self
            .stale
            .iter()
            .any(|s| s.start <= range.end && range.start <= s.end);
        if stale { None } else { self.tree.as_ref() }
    }

    /// The complete syntax tree of an exact analysis.
    pub fn complete_tree(&self) -> Option<&Tree> {
        if self.exact { self.tree.as_ref() } else { None }
    }
}

/// A unit's place and key text, kept up to date across edits so the analyzer knows whether
/// every edit since the last complete check stayed inside function bodies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct UnitSpan {
    /// Where the unit's key text starts (see [`key_start`]).
    anchor: usize,
    /// Where the unit starts (its first decorator or `def`).
    start: usize,
    /// The end of the header's `:`; edits at or after it and before `end` are in the body.
    body: usize,
    end: usize,
    /// The unit's key at the last complete check.
    key: UnitKey,
    /// The class the unit is a method of.
    class: Option<usize>,
    /// An edit landed in this unit since the last complete check.
    touched: bool,
}

/// The last complete parse moved along by the edits since, and what the last complete check
/// knew (moved along the same way).
struct EditedTree {
    tree: Tree,
    /// The text `tree` matches (after the edits).
    seq: u64,
    /// No edit since the parse: `tree` is a complete parse of the text at `seq`.
    parsed: bool,
    /// The units of the last complete check.
    spans: Vec<UnitSpan>,
    /// Every edit since the last complete check landed inside one unit's body.
    local_edits: bool,
    /// The rest of the last complete check, for provisional analyses.
    base: Option<Base>,
    /// The last standalone parse of an edited unit (its index in `spans`), edited along
    /// with the text: the next keystroke in that unit reparses it incrementally.
    unit: Option<(usize, Tree)>,
}

/// The facts of a complete check that a provisional analysis reuses: the skeleton (function
/// bodies do not change it) and the module and file checks' findings, moved along by the
/// edits since.
struct Base {
    skeleton: Skeleton,
    context: u64,
    line_ending: &'static str,
    indent: String,
    unit_id: u64,
    whole: Vec<Diagnostic>,
    whole_panics: Vec<(&'static str, String)>,
}

impl EditedTree {
    fn apply(&mut self, edit: &InputEdit) {
        self.tree.edit(edit);
        self.parsed = false;
        if self.local_edits {
            self.local_edits = move_spans(&mut self.spans, edit);
        }
        match &mut self.unit {
            Some((_, tree)) if self.local_edits => tree.edit(edit),
            _ => self.unit = None,
        }
        if let Some(base) = &mut self.base {
            for diagnostic in &mut base.whole {
                map_diagnostic(diagnostic, edit);
            }
        }
    }
}

/// Moves the unit spans along an edit; `false` when the edit is not inside one unit's body.
fn move_spans(spans: &mut [UnitSpan], edit: &InputEdit) -> bool {
    let (start, old_end, new_end) = (edit.start_byte, edit.old_end_byte, edit.new_end_byte);
    let index = spans.partition_point(|s| s.start <= start);
    let Some(unit) = index.checked_sub(1) else {
        return false;
    };
    let span = &mut spans[unit];
    if start < span.body || old_end > span.end {
        return false;
    }
    let delta = new_end as isize - old_end as isize;
    span.end = span.end.saturating_add_signed(delta);
    span.touched = true;
    for later in &mut spans[unit + 1..] {
        later.anchor = later.anchor.saturating_add_signed(delta);
        later.start = later.start.saturating_add_signed(delta);
        later.body = later.body.saturating_add_signed(delta);
        later.end = later.end.saturating_add_signed(delta);
    }
    true
}

/// Where an offset goes when an edit is made: before the edit it stays, after it it moves
/// by the change in length, inside the replaced text it goes to the edit's start (a range's
/// start) or end (a range's end). At a pure insertion's offset, starts move past the inserted
/// text and ends stay.
fn map_offset(offset: usize, edit: &InputEdit, is_end: bool) -> usize {
    let (start, old_end, new_end) = (edit.start_byte, edit.old_end_byte, edit.new_end_byte);
    if offset < start {
        offset
    } else if offset == start {
        if old_end == start && !is_end {
            new_end
        } else {
            offset
        }
    } else if offset >= old_end {
        offset - old_end + new_end
    } else if is_end {
        new_end
    } else {
        start
    }
}

fn map_range(range: TextRange, edit: &InputEdit) -> TextRange {
    if range.is_empty() {
        return TextRange::empty(map_offset(range.start, edit, false));
    }
    let start = map_offset(range.start, edit, false);
    let end = map_offset(range.end, edit, true).max(start);
    TextRange::new(start, end)
}

fn map_diagnostic(diagnostic: &mut Diagnostic, edit: &InputEdit) {
    diagnostic.range = map_range(diagnostic.range, edit);
    if let Some(fix) = &mut diagnostic.fix {
        for fix_edit in &mut fix.edits {
            fix_edit.range = map_range(fix_edit.range, edit);
        }
    }
}

/// The cache key of a unit's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct UnitKey {
    text: u128,
    len: usize,
    /// Where the unit starts in its key text: in broken code, the same text can hold a
    /// function starting at a different place.
    offset: usize,
    class: Option<usize>,
    context: u64,
    config: u64,
    /// Computed from a parse of the unit alone (a provisional analysis): never used for an
    /// exact one, where error recovery around the unit may parse it differently.
    standalone: bool,
    /// Non-zero for a unit with syntax errors in a complete parse: error recovery may parse
    /// the same text differently depending on what surrounds it, so such a unit's output is
    /// never found by its text (it is neither cached nor matched across analyses).
    unique: u64,
}

/// A key no other unit has.
fn unique_key() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

struct CachedUnit {
    output: Arc<UnitOutput>,
    /// Where the unit's key text started when the output was computed.
    anchor: usize,
    used: u64,
}

/// Outputs of units, by key. Entries unused for a few complete analyses are dropped.
#[derive(Default)]
struct UnitCache {
    entries: HashMap<UnitKey, CachedUnit>,
    epoch: u64,
}

impl UnitCache {
    fn get(&mut self, key: &UnitKey, anchor: usize) -> Option<(Arc<UnitOutput>, isize)> {
        let entry = self.entries.get_mut(key)?;
        entry.used = self.epoch;
        Some((
            entry.output.clone(),
            anchor as isize - entry.anchor as isize,
        ))
    }

    fn insert(&mut self, key: UnitKey, output: Arc<UnitOutput>, anchor: usize) {
        self.entries.insert(
            key,
            CachedUnit {
                output,
                anchor,
                used: self.epoch,
            },
        );
    }

    /// Ends a complete analysis: forgets entries not used in the last two. Provisional
    /// analyses do not sweep: they reuse the units they did not touch without looking them
    /// up, and those must still be cached when the complete analysis comes.
    fn sweep(&mut self) {
        let epoch = self.epoch;
        self.entries.retain(|_, e| e.used + 2 >= epoch);
        self.epoch += 1;
    }
}

/// One unit's result in an analysis: its key, where its key text starts, and its output
/// (computed where the unit was `delta` bytes earlier).
struct Part {
    key: UnitKey,
    anchor: usize,
    /// `None`: the unit is unchanged since the last analysis; its assembled results are
    /// reused.
    output: Option<Arc<UnitOutput>>,
    delta: isize,
}

/// The units' results of the last analysis, assembled for the file checks: every
/// function's summary (`parent` indexing the whole list), the function checks' findings and
/// panics, with each unit's share. Updated in place across analyses: a unit unchanged since
/// the last one has its results shifted where it moved (units before an edit cost nothing),
/// and only a changed unit's results are replaced.
#[derive(Default)]
struct Assembly {
    units: Vec<AssembledUnit>,
    summaries: Vec<FunctionSummary>,
    diagnostics: Vec<Diagnostic>,
    panics: Vec<(&'static str, String)>,
}

#[derive(Clone)]
struct AssembledUnit {
    key: UnitKey,
    anchor: usize,
    summaries: std::ops::Range<usize>,
    diagnostics: std::ops::Range<usize>,
    panics: std::ops::Range<usize>,
}

fn moved(range: &std::ops::Range<usize>, by: isize) -> std::ops::Range<usize> {
    range.start.saturating_add_signed(by)..range.end.saturating_add_signed(by)
}

impl Assembly {
    /// Assembles the parts; `false` when a part without an output has no assembled results
    /// (the assembly is then empty).
    fn update(&mut self, parts: &[Part]) -> bool {
        let ok = if self.units.len() == parts.len()
            && parts
                .iter()
                .zip(&self.units)
                .all(|(part, unit)| part.key == unit.key || part.output.is_some())
        {
            self.update_in_place(parts);
            true
        } else {
            self.rebuild(parts)
        };
        if !ok {
            *self = Assembly::default();
        }
        ok
    }

    /// The same units at the same indices: shift what moved, replace what changed.
    fn update_in_place(&mut self, parts: &[Part]) {
        let (mut summaries_moved, mut diagnostics_moved, mut panics_moved) = (0isize, 0, 0);
        for (index, part) in parts.iter().enumerate() {
            let unit = self.units[index].clone();
            let summaries = moved(&unit.summaries, summaries_moved);
            let diagnostics = moved(&unit.diagnostics, diagnostics_moved);
            let panics = moved(&unit.panics, panics_moved);
            match (&part.output, part.key == unit.key) {
                (_, true) => {
                    let delta = part.anchor as isize - unit.anchor as isize;
                    if delta != 0 || summaries_moved != 0 {
                        for summary in &mut self.summaries[summaries.clone()] {
                            if delta != 0 {
                                summary.shift(delta, 0);
                            }
                            summary.parent = summary
                                .parent
                                .map(|p| p.saturating_add_signed(summaries_moved));
                        }
                    }
                    if delta != 0 {
                        for diagnostic in &mut self.diagnostics[diagnostics.clone()] {
                            diagnostic.shift(delta);
                        }
                    }
                    self.units[index] = AssembledUnit {
                        key: part.key,
                        anchor: part.anchor,
                        summaries,
                        diagnostics,
                        panics,
                    };
                }
                (Some(output), false) => {
                    let new_summaries: Vec<FunctionSummary> = output
                        .summaries
                        .iter()
                        .map(|s| {
                            let mut s = s.clone();
                            s.shift(part.delta, summaries.start);
                            s
                        })
                        .collect();
                    let new_diagnostics: Vec<Diagnostic> = output
                        .diagnostics
                        .iter()
                        .map(|d| {
                            let mut d = d.clone();
                            if part.delta != 0 {
                                d.shift(part.delta);
                            }
                            d
                        })
                        .collect();
                    let counts = (
                        new_summaries.len(),
                        new_diagnostics.len(),
                        output.panics.len(),
                    );
                    self.summaries.splice(summaries.clone(), new_summaries);
                    self.diagnostics
                        .splice(diagnostics.clone(), new_diagnostics);
                    self.panics
                        .splice(panics.clone(), output.panics.iter().cloned());
                    summaries_moved += counts.0 as isize - summaries.len() as isize;
                    diagnostics_moved += counts.1 as isize - diagnostics.len() as isize;
                    panics_moved += counts.2 as isize - panics.len() as isize;
                    self.units[index] = AssembledUnit {
                        key: part.key,
                        anchor: part.anchor,
                        summaries: summaries.start..summaries.start + counts.0,
                        diagnostics: diagnostics.start..diagnostics.start + counts.1,
                        panics: panics.start..panics.start + counts.2,
                    };
                }
                // Ruled out by the caller.
                (None, false) => {}
            }
        }
    }

    /// Different units: assemble anew, moving the results of units found in the old
    /// assembly (by key) and copying the others.
    fn rebuild(&mut self, parts: &[Part]) -> bool {
        let old = std::mem::take(self);
        let mut old_summaries: Vec<Option<FunctionSummary>> =
            old.summaries.into_iter().map(Some).collect();
        let mut old_diagnostics: Vec<Option<Diagnostic>> =
            old.diagnostics.into_iter().map(Some).collect();
        let mut by_key: HashMap<UnitKey, Vec<usize>> = HashMap::new();
        for (i, unit) in old.units.iter().enumerate().rev() {
            by_key.entry(unit.key).or_default().push(i);
        }
        for part in parts {
            let found = by_key.get_mut(&part.key).and_then(Vec::pop);
            let summaries_start = self.summaries.len();
            let diagnostics_start = self.diagnostics.len();
            let panics_start = self.panics.len();
            match (found, &part.output) {
                (Some(i), _) => {
                    let unit = &old.units[i];
                    let delta = part.anchor as isize - unit.anchor as isize;
                    for slot in &mut old_summaries[unit.summaries.clone()] {
                        if let Some(mut summary) = slot.take() {
                            summary.shift(delta, 0);
                            summary.parent = summary
                                .parent
                                .map(|p| p.saturating_sub(unit.summaries.start) + summaries_start);
                            self.summaries.push(summary);
                        }
                    }
                    for slot in &mut old_diagnostics[unit.diagnostics.clone()] {
                        if let Some(mut diagnostic) = slot.take() {
                            if delta != 0 {
                                diagnostic.shift(delta);
                            }
                            self.diagnostics.push(diagnostic);
                        }
                    }
                    self.panics
                        .extend(old.panics[unit.panics.clone()].iter().cloned());
                }
                (None, Some(output)) => {
                    for summary in &output.summaries {
                        let mut summary = summary.clone();
                        summary.shift(part.delta, summaries_start);
                        self.summaries.push(summary);
                    }
                    for diagnostic in &output.diagnostics {
                        let mut diagnostic = diagnostic.clone();
                        if part.delta != 0 {
                            diagnostic.shift(part.delta);
                        }
                        self.diagnostics.push(diagnostic);
                    }
                    self.panics.extend(output.panics.iter().cloned());
                }
                (None, None) => return false,
            }
            self.units.push(AssembledUnit {
                key: part.key,
                anchor: part.anchor,
                summaries: summaries_start..self.summaries.len(),
                diagnostics: diagnostics_start..self.diagnostics.len(),
                panics: panics_start..self.panics.len(),
            });
        }
        true
    }
}

/// Drops a value on a background thread. Freeing an analysis of a big file (thousands of
/// findings, each with its message and fix) takes a few hundred microseconds that the answer
/// to a keystroke should not wait for.
fn retire<T: Send + 'static>(value: T) {
    static RETIRED: OnceLock<Option<mpsc::Sender<Box<dyn Send>>>> = OnceLock::new();
    let sender = RETIRED.get_or_init(|| {
        let (sender, receiver) = mpsc::channel::<Box<dyn Send>>();
        std::thread::Builder::new()
            .name("proctor-retire".into())
            .spawn(move || receiver.into_iter().for_each(drop))
            .ok()
            .map(|_| sender)
    });
    if let Some(sender) = sender {
        // A failed send hands the value back: it is then dropped here.
        let _ = sender.send(Box::new(value));
    }
}

/// How many recent analyses are kept for requests about the same version.
const RECENT: usize = 2;

/// The incremental checker of one document.
pub struct Analyzer {
    parser: Parser,
    /// Parses single units for provisional analyses (its included ranges change each time).
    unit_parser: Parser,
    edited: Option<EditedTree>,
    /// The parser holds a suspended parse of the text at this seq.
    suspended: Option<u64>,
    cache: UnitCache,
    assembly: Assembly,
    recent: VecDeque<Arc<Analysis>>,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl Analyzer {
    pub fn new() -> Self {
        Self {
            parser: proctor_linter::parse::new_parser(),
            unit_parser: proctor_linter::parse::new_parser(),
            edited: None,
            suspended: None,
            cache: UnitCache::default(),
            assembly: Assembly::default(),
            recent: VecDeque::new(),
        }
    }

    /// The seq the analyzer's tree matches: the edit log before it is no longer needed.
    pub fn tree_seq(&self) -> Option<u64> {
        self.edited.as_ref().map(|e| e.seq)
    }

    /// A finished analysis of this text and configuration, if there is one (a provisional
    /// one only when `provisional_ok`).
    pub fn recent(&self, seq: u64, config: u64, provisional_ok: bool) -> Option<Arc<Analysis>> {
        self.recent
            .iter()
            .rev()
            .find(|a| a.seq == seq && a.config_id == config && (a.exact || provisional_ok))
            .cloned()
    }

    fn remember(&mut self, analysis: Arc<Analysis>) {
        self.recent
            .retain(|a| !(a.seq == analysis.seq && a.config_id == analysis.config_id));
        self.recent.push_back(analysis);
        while self.recent.len() > RECENT {
            if let Some(old) = self.recent.pop_front() {
                retire(old);
            }
        }
    }

    /// Analyzes `snapshot`. `changes` must hold the edit log after [`Analyzer::tree_seq`] up
    /// to the snapshot. `stop` is polled while parsing and between units.
    pub fn analyze(
        &mut self,
        snapshot: &Snapshot,
        changes: &[(u64, Change)],
        config: &CheckConfig,
        mode: Mode,
        stop: &dyn Fn() -> Option<Stop>,
    ) -> Result<Arc<Analysis>, Stop> {
        let provisional_ok = matches!(mode, Mode::Budget(_));
        if let Some(done) = self.recent(snapshot.seq, config.id, provisional_ok) {
            return Ok(done);
        }
        if !config.is_test {
            let analysis = Arc::new(Analysis {
                seq: snapshot.seq,
                version: snapshot.version,
                text: snapshot.text.clone(),
                lines: snapshot.lines.clone(),
                config_id: config.id,
                exact: true,
                tree: None,
                stale: Vec::new(),
                diagnostics: Vec::new(),
                panics: Vec::new(),
            });
            self.remember(analysis.clone());
            return Ok(analysis);
        }
        if self.edited.as_ref().is_some_and(|e| e.seq > snapshot.seq) {
            // A request about an older text than the tree's: parse it apart.
            return self.analyze_apart(snapshot, config, stop);
        }
        let started = Instant::now();
        self.catch_up(snapshot.seq, changes);
        let caught_up = started.elapsed();
        if self.suspended.is_some_and(|seq| seq != snapshot.seq) {
            self.parser.reset();
            self.suspended = None;
        }
        let tree = match &self.edited {
            Some(e) if e.parsed && e.seq == snapshot.seq => e.tree.clone(),
            _ => {
                let local = self
                    .edited
                    .as_ref()
                    .is_some_and(|e| e.local_edits && e.seq == snapshot.seq);
                let budget = match mode {
                    Mode::Budget(budget) if local => Some(budget),
                    _ => None,
                };
                let parsed = match budget {
                    // No budget at all: answer from the fallback without parsing.
                    Some(Duration::ZERO) => Err(None),
                    _ => self.parse(snapshot, budget.map(|b| Instant::now() + b), stop),
                };
                match parsed {
                    Ok(tree) => tree,
                    Err(None) => {
                        let parsed_at = started.elapsed();
                        if let Some(analysis) = self.provisional(snapshot, config, stop)? {
                            tracing::debug!(
                                "provisional analysis of seq {}: edits {:?}, parse {:?}, total {:?}",
                                snapshot.seq,
                                caught_up,
                                parsed_at - caught_up,
                                started.elapsed()
                            );
                            self.remember(analysis.clone());
                            return Ok(analysis);
                        }
                        // The stale skeleton did not line up: finish the parse after all.
                        self.parse(snapshot, None, stop)
                            .map_err(|s| s.unwrap_or(Stop::Cancelled))?
                    }
                    Err(Some(stop)) => return Err(stop),
                }
            }
        };
        let parsed_at = started.elapsed();
        let analysis = self.exact(tree, snapshot, config, stop, true)?;
        tracing::debug!(
            "exact analysis of seq {}: edits {:?}, parse {:?}, total {:?}",
            snapshot.seq,
            caught_up,
            parsed_at - caught_up,
            started.elapsed()
        );
        self.remember(analysis.clone());
        Ok(analysis)
    }

    /// Brings the edited tree up to `seq`.
    fn catch_up(&mut self, seq: u64, changes: &[(u64, Change)]) {
        let Some(edited) = &mut self.edited else {
            return;
        };
        for (change_seq, change) in changes {
            if *change_seq <= edited.seq || *change_seq > seq {
                continue;
            }
            match change {
                Change::Edit(edit) => edited.apply(edit),
                Change::Replace => {
                    // Nothing of the old tree applies to the replaced text.
                    self.edited = None;
                    return;
                }
            }
        }
        edited.seq = seq;
    }

    /// Parses the snapshot's text incrementally. `Err(None)`: the deadline passed (the parse
    /// is suspended and resumes on the next call for the same text).
    fn parse(
        &mut self,
        snapshot: &Snapshot,
        deadline: Option<Instant>,
        stop: &dyn Fn() -> Option<Stop>,
    ) -> Result<Tree, Option<Stop>> {
        let bytes = snapshot.text.as_bytes();
        let old = self.edited.as_ref().map(|e| &e.tree);
        let mut stopped = None;
        let mut timed_out = false;
        let mut progress = |_: &tree_sitter::ParseState| {
            if let Some(reason) = stop() {
                stopped = Some(reason);
                return ControlFlow::Break(());
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                timed_out = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        };
        let options = ParseOptions::new().progress_callback(&mut progress);
        let result = self.parser.parse_with_options(
            &mut |offset, _| bytes.get(offset..).unwrap_or_default(),
            old,
            Some(options),
        );
        match result {
            Some(tree) => {
                self.suspended = None;
                Ok(tree)
            }
            None => {
                self.suspended = Some(snapshot.seq);
                if timed_out && stopped.is_none() {
                    Err(None)
                } else {
                    Err(Some(stopped.unwrap_or(Stop::Cancelled)))
                }
            }
        }
    }

    /// A request about a text older than the analyzer's tree: a full parse with a parser of
    /// its own, leaving the analyzer's state alone (but sharing the unit cache).
    fn analyze_apart(
        &mut self,
        snapshot: &Snapshot,
        config: &CheckConfig,
        stop: &dyn Fn() -> Option<Stop>,
    ) -> Result<Arc<Analysis>, Stop> {
        let mut parser = proctor_linter::parse::new_parser();
        let bytes = snapshot.text.as_bytes();
        let mut progress = |_: &tree_sitter::ParseState| match stop() {
            Some(_) => ControlFlow::Break(()),
            None => ControlFlow::Continue(()),
        };
        let options = ParseOptions::new().progress_callback(&mut progress);
        let tree = parser
            .parse_with_options(
                &mut |offset, _| bytes.get(offset..).unwrap_or_default(),
                None,
                Some(options),
            )
            .ok_or_else(|| stop().unwrap_or(Stop::Cancelled))?;
        let analysis = self.exact(tree, snapshot, config, stop, false)?;
        self.remember(analysis.clone());
        Ok(analysis)
    }

    /// Checks a complete tree. With `keep`, the tree becomes the base for later edits.
    fn exact(
        &mut self,
        tree: Tree,
        snapshot: &Snapshot,
        config: &CheckConfig,
        stop: &dyn Fn() -> Option<Stop>,
        keep: bool,
    ) -> Result<Arc<Analysis>, Stop> {
        let started = Instant::now();
        let text = snapshot.text.as_str();
        let file = FileModel::build_with_lines(
            &tree,
            text,
            config.path.as_deref(),
            (*snapshot.lines).clone(),
        );
        let modelled = started.elapsed();
        if keep {
            // The new tree is the base of the next reparse at once. The spans and the base
            // facts of the last complete check stay until this check completes: moved along
            // by later edits, they keep serving provisional analyses if it is interrupted.
            match &mut self.edited {
                Some(edited) => {
                    edited.tree = tree.clone();
                    edited.seq = snapshot.seq;
                    edited.parsed = true;
                }
                None => {
                    self.edited = Some(EditedTree {
                        tree: tree.clone(),
                        seq: snapshot.seq,
                        parsed: true,
                        spans: Vec::new(),
                        unit: None,
                        local_edits: false,
                        base: None,
                    });
                }
            }
        }
        let keys: Vec<(u128, usize, usize)> = file
            .units
            .iter()
            .map(|unit| key_text(&file, unit))
            .collect();
        let context = file.context_fingerprint();
        let mut parts = Vec::with_capacity(file.units.len());
        let mut unit_keys = Vec::with_capacity(file.units.len());
        for (unit, &(hash, len, anchor)) in file.units.iter().zip(&keys) {
            if let Some(reason) = stop() {
                return Err(reason);
            }
            let offset = unit.outer.start_byte() - anchor;
            let mut key = unit_key(unit.class, (hash, len, offset), context, config.unit_id);
            if unit.outer.has_error() {
                key.unique = unique_key();
            }
            let (output, delta) = match self.cache.get(&key, anchor) {
                Some(hit) => hit,
                None => {
                    let output = evaluate(&file, config, *unit);
                    let range = TextRange::new(anchor, unit.outer.end_byte());
                    (self.store(key, anchor, range, output), 0)
                }
            };
            unit_keys.push(key);
            parts.push(Part {
                key,
                anchor,
                output: Some(output),
                delta,
            });
        }
        let evaluated = started.elapsed();
        // Every part has an output: assembling cannot fail.
        self.assembly.update(&parts);
        let assembly = &self.assembly;
        let (whole, whole_panics) = catch_unwind(AssertUnwindSafe(|| {
            engine::whole_file_checks(
                &file,
                &config.settings,
                config.rules,
                &config.workspace,
                &assembly.summaries,
            )
        }))
        .unwrap_or_else(|payload| {
            (
                Vec::new(),
                vec![("module and file checks", panic_message(payload.as_ref()))],
            )
        });
        if keep && let Some(edited) = &mut self.edited {
            edited.spans = spans_of(&file, &keys, &unit_keys);
            edited.unit = None;
            edited.local_edits = true;
            edited.base = Some(Base {
                skeleton: file.skeleton(),
                context,
                line_ending: proctor_linter::text::line_ending(text),
                indent: proctor_linter::fixes::indent_unit(text).to_string(),
                unit_id: config.unit_id,
                whole: whole.clone(),
                whole_panics: whole_panics.clone(),
            });
        }
        let (diagnostics, panics) =
            self.combine(snapshot, config, whole, whole_panics, Some(&file));
        self.cache.sweep();
        tracing::debug!(
            "exact check: skeleton {:?}, units {:?}, finish {:?}",
            modelled,
            evaluated - modelled,
            started.elapsed() - evaluated
        );
        Ok(Arc::new(Analysis {
            seq: snapshot.seq,
            version: snapshot.version,
            text: snapshot.text.clone(),
            lines: snapshot.lines.clone(),
            config_id: config.id,
            exact: true,
            tree: Some(tree),
            stale: Vec::new(),
            diagnostics,
            panics,
        }))
    }

    /// The fallback when the budget ran out: each edited unit parsed on its own and checked
    /// against the last complete check's skeleton (edits inside function bodies leave it as
    /// it was), every other unit's results reused, and the last complete check's module and
    /// file findings moved along by the edits. `None` when that is not possible (no complete
    /// check yet, or the configuration or the file's style facts changed, or a unit's results
    /// are missing).
    fn provisional(
        &mut self,
        snapshot: &Snapshot,
        config: &CheckConfig,
        stop: &dyn Fn() -> Option<Stop>,
    ) -> Result<Option<Arc<Analysis>>, Stop> {
        let started = Instant::now();
        let text = snapshot.text.as_str();
        let Some(edited) = &self.edited else {
            return Ok(None);
        };
        let Some(base) = &edited.base else {
            return Ok(None);
        };
        if base.unit_id != config.unit_id
            || base.line_ending != proctor_linter::text::line_ending(text)
            || base.indent != proctor_linter::fixes::indent_unit(text)
        {
            return Ok(None);
        }
        let context = base.context;
        let spans = &edited.spans;
        let mut parts: Vec<Part> = Vec::with_capacity(spans.len());
        // The edited units to parse on their own (with their index in `parts`), and every
        // edited unit's range (stale until the complete parse).
        let mut touched: Vec<(usize, UnitSpan)> = Vec::new();
        let mut stale = Vec::new();
        for span in spans {
            if span.touched {
                stale.push(TextRange::new(span.anchor, span.end));
            }
            let (key, anchor) = if span.touched {
                let anchor = comment_block_start(text, &snapshot.lines, span.start);
                let key_text = text.get(anchor..span.end).unwrap_or_default();
                let hash = xxhash_rust::xxh3::xxh3_128(key_text.as_bytes());
                let offset = span.start - anchor;
                (
                    unit_key(
                        span.class,
                        (hash, key_text.len(), offset),
                        context,
                        config.unit_id,
                    ),
                    anchor,
                )
            } else {
                // Untouched: it is what it was at the last complete check, key included.
                (span.key, span.anchor)
            };
            if !span.touched
                && self
                    .assembly
                    .units
                    .get(parts.len())
                    .is_some_and(|unit| unit.key == key)
            {
                // The assembly holds this unit at this index: its results move along with it,
                // no lookup needed (a big file has a thousand such units per keystroke).
                parts.push(Part {
                    key,
                    anchor,
                    output: None,
                    delta: 0,
                });
                continue;
            }
            let standalone = UnitKey {
                standalone: true,
                ..key
            };
            let cached = match self.cache.get(&key, anchor) {
                Some(hit) => Some((key, hit)),
                None if span.touched => self
                    .cache
                    .get(&standalone, anchor)
                    .map(|hit| (standalone, hit)),
                None => None,
            };
            match cached {
                Some((key, (output, delta))) => parts.push(Part {
                    key,
                    anchor,
                    output: Some(output),
                    delta,
                }),
                None => {
                    if span.touched {
                        touched.push((parts.len(), *span));
                    }
                    // An untouched unit without a cached output: its assembled results
                    // (moved along with it) are still right.
                    parts.push(Part {
                        key,
                        anchor,
                        output: None,
                        delta: 0,
                    });
                }
            }
        }
        if let Some(reason) = stop() {
            return Err(reason);
        }
        // Parse and check each edited unit on its own, from the start of its first line: the
        // parser's included range keeps every position that of the whole document.
        for (index, span) in touched {
            let end = span.end;
            self.unit_parser
                .set_included_ranges(&[unit_range(snapshot, &span)])
                .map_err(|_| Stop::Cancelled)?;
            let bytes = snapshot.text.as_bytes();
            // The unit's previous standalone tree, when this unit was the one parsed last.
            let old = self
                .edited
                .as_ref()
                .and_then(|e| e.unit.as_ref())
                .filter(|(unit, _)| *unit == index)
                .map(|(_, tree)| tree);
            let Some(tree) = self.unit_parser.parse_with_options(
                &mut |offset, _| bytes.get(offset..).unwrap_or_default(),
                old,
                None,
            ) else {
                return Ok(None);
            };
            if let Some(edited) = &mut self.edited {
                edited.unit = Some((index, tree.clone()));
            }
            let Some(base) = self.edited.as_ref().and_then(|e| e.base.as_ref()) else {
                return Ok(None);
            };
            let output = match standalone_unit(&tree, span.start, span.class) {
                Some(node) => {
                    let file = FileModel::from_skeleton(
                        &tree,
                        text,
                        (*snapshot.lines).clone(),
                        base.skeleton.clone(),
                        vec![node],
                    );
                    evaluate(&file, config, node)
                }
                // The unit no longer parses as one function: it has no findings until the
                // complete parse says what it is.
                None => Some(UnitOutput::default()),
            };
            let key = UnitKey {
                standalone: true,
                ..parts[index].key
            };
            let anchor = parts[index].anchor;
            parts[index].key = key;
            parts[index].output =
                Some(self.store(key, anchor, TextRange::new(anchor, end), output));
        }
        let evaluated = started.elapsed();
        if !self.assembly.update(&parts) {
            return Ok(None);
        }
        let Some(edited) = &self.edited else {
            return Ok(None);
        };
        let Some(base) = &edited.base else {
            return Ok(None);
        };
        let (whole, whole_panics) = (base.whole.clone(), base.whole_panics.clone());
        // Resolving fixes' imports reads the module's top-level statements: the old tree's
        // are right (edits inside function bodies only moved them).
        let needs_imports = self.assembly.diagnostics.iter().chain(&whole).any(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| !f.required_imports.is_empty())
        });
        let stale_tree = needs_imports.then(|| edited.tree.clone());
        let skeleton = needs_imports.then(|| base.skeleton.clone());
        let module = stale_tree.as_ref().zip(skeleton).map(|(tree, skeleton)| {
            FileModel::from_skeleton(tree, text, (*snapshot.lines).clone(), skeleton, Vec::new())
        });
        let tree = edited.tree.clone();
        let (diagnostics, panics) =
            self.combine(snapshot, config, whole, whole_panics, module.as_ref());
        tracing::debug!(
            "provisional check: units {:?}, finish {:?}",
            evaluated,
            started.elapsed() - evaluated
        );
        Ok(Some(Arc::new(Analysis {
            seq: snapshot.seq,
            version: snapshot.version,
            text: snapshot.text.clone(),
            lines: snapshot.lines.clone(),
            config_id: config.id,
            exact: false,
            tree: Some(tree),
            stale,
            diagnostics,
            panics,
        })))
    }

    /// Caches an output when it is self-contained (every range inside the unit's key text,
    /// so moving it with the unit is right), and returns it.
    fn store(
        &mut self,
        key: UnitKey,
        anchor: usize,
        unit: TextRange,
        output: Option<UnitOutput>,
    ) -> Arc<UnitOutput> {
        let Some(output) = output else {
            // The unit's evaluation panicked outside any rule: nothing cached, nothing found.
            return Arc::new(UnitOutput::default());
        };
        let output = Arc::new(output);
        if key.unique == 0 && self_contained(&output, unit) {
            self.cache.insert(key, output.clone(), anchor);
        }
        output
    }

    /// The findings of an analysis: the assembled units' and the module and file checks',
    /// filtered (`noqa`, disabled rules) and sorted.
    fn combine(
        &mut self,
        snapshot: &Snapshot,
        config: &CheckConfig,
        whole: Vec<Diagnostic>,
        whole_panics: Vec<(&'static str, String)>,
        file: Option<&FileModel>,
    ) -> (Vec<Diagnostic>, Vec<RulePanic>) {
        let mut diagnostics = Vec::with_capacity(self.assembly.diagnostics.len() + whole.len());
        diagnostics.extend(self.assembly.diagnostics.iter().cloned());
        diagnostics.extend(whole);
        // Fixes that need an `import` get its edit against this text.
        if let Some(file) = file {
            proctor_linter::fixes::resolve_required_imports(file, &mut diagnostics);
        }
        let diagnostics = engine::filter_and_sort(&snapshot.text, config.rules, diagnostics);
        let panics = self
            .assembly
            .panics
            .iter()
            .cloned()
            .chain(whole_panics)
            .map(|(rule, message)| RulePanic { rule, message })
            .collect();
        (diagnostics, panics)
    }
}

/// The text a unit is parsed from on its own: from the start of its first line to its end
/// (positions stay those of the whole document).
fn unit_range(snapshot: &Snapshot, span: &UnitSpan) -> Range {
    let start = snapshot
        .lines
        .line_start(snapshot.lines.line_of(span.start));
    Range {
        start_byte: start,
        end_byte: span.end,
        start_point: snapshot.point(start),
        end_point: snapshot.point(span.end),
    }
}

/// Runs a unit's function checks; `None` if building the unit itself panicked.
fn evaluate(file: &FileModel, config: &CheckConfig, unit: UnitNode) -> Option<UnitOutput> {
    let result = catch_unwind(AssertUnwindSafe(|| {
        UnitOutput::evaluate(file, &config.settings, config.rules, unit)
    }));
    match result {
        Ok(output) => Some(output),
        Err(payload) => {
            tracing::error!(
                "checking the function at byte {} of {} panicked: {}",
                unit.outer.start_byte(),
                config
                    .path
                    .as_deref()
                    .map_or("<no path>".into(), |p| p.display().to_string()),
                panic_message(payload.as_ref())
            );
            None
        }
    }
}

pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// Where the key text of a unit starting at `start` begins: the start of its first line, or
/// of the comment lines right above it (a rule may read a comment introducing a function).
fn comment_block_start(text: &str, lines: &LineIndex, start: usize) -> usize {
    let mut line = lines.line_of(start);
    let mut anchor = lines.line_start(line);
    while line > 0 {
        let above = lines.line_range(line - 1, text);
        let is_comment = text
            .get(above.as_range())
            .is_some_and(|t| t.trim_start().starts_with('#'));
        if !is_comment {
            break;
        }
        anchor = above.start;
        line -= 1;
    }
    anchor
}

/// The hash and length of a unit's key text, and where it starts.
fn key_text(file: &FileModel, unit: &UnitNode) -> (u128, usize, usize) {
    let anchor = comment_block_start(file.source, &file.lines, unit.outer.start_byte());
    let text = file
        .source
        .get(anchor..unit.outer.end_byte())
        .unwrap_or_default();
    (
        xxhash_rust::xxh3::xxh3_128(text.as_bytes()),
        text.len(),
        anchor,
    )
}

fn unit_key(
    class: Option<usize>,
    (text, len, offset): (u128, usize, usize),
    context: u64,
    config: u64,
) -> UnitKey {
    UnitKey {
        text,
        len,
        offset,
        class,
        context,
        config,
        standalone: false,
        unique: 0,
    }
}

/// Whether every range of an output lies inside the unit's range.
fn self_contained(output: &UnitOutput, unit: TextRange) -> bool {
    let inside = |r: TextRange| unit.contains_range(r);
    output.diagnostics.iter().all(|d| {
        inside(d.range)
            && d.fix
                .as_ref()
                .is_none_or(|f| f.edits.iter().all(|e| inside(e.range)))
    }) && output.summaries.iter().all(|s| {
        inside(s.range)
            && inside(s.name_range)
            && s.self_writes
                .iter()
                .all(|w| inside(w.target) && inside(w.statement) && w.value.is_none_or(inside))
    })
}

/// Where each unit's body starts (the end of the `:` closing its header), with its key text.
fn spans_of(
    file: &FileModel,
    keys: &[(u128, usize, usize)],
    unit_keys: &[UnitKey],
) -> Vec<UnitSpan> {
    file.units
        .iter()
        .zip(keys)
        .zip(unit_keys)
        .map(|((unit, &(_, _, anchor)), &key)| {
            let end = unit.outer.end_byte();
            let mut cursor = unit.function.walk();
            let body = unit
                .function
                .children(&mut cursor)
                .find(|c| !c.is_named() && c.kind() == ":")
                .map_or(end, |colon| colon.end_byte());
            UnitSpan {
                anchor,
                start: unit.outer.start_byte(),
                body,
                end,
                key,
                class: unit.class,
                touched: false,
            }
        })
        .collect()
}

/// The unit in a standalone parse of its lines: the first statement, if it is a function
/// starting where the unit starts.
fn standalone_unit(tree: &Tree, start: usize, class: Option<usize>) -> Option<UnitNode<'_>> {
    let root = tree.root_node();
    let mut cursor = root.walk();
    let first = root
        .named_children(&mut cursor)
        .find(|n| kind(*n) != Kind::Comment)?;
    if first.start_byte() != start {
        return None;
    }
    let function = match kind(first) {
        Kind::FunctionDefinition => first,
        Kind::DecoratedDefinition => {
            field(first, Field::Definition).filter(|d| kind(*d) == Kind::FunctionDefinition)?
        }
        _ => return None,
    };
    Some(UnitNode {
        outer: first,
        function,
        class,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::DocumentText;
    use crate::position::Encoding;
    use proctor_linter::Settings;
    use tower_lsp_server::ls_types::{Position, Range as LspRange, TextDocumentContentChangeEvent};

    fn config() -> CheckConfig {
        CheckConfig::new(
            Arc::new(Settings::default()),
            Some(PathBuf::from("/p/tests/test_x.py")),
            true,
            Arc::new(Workspace::empty()),
        )
    }

    fn fresh(text: &str, config: &CheckConfig) -> Vec<Diagnostic> {
        proctor_linter::check_source(
            text,
            config.path.as_deref(),
            &config.settings,
            &config.workspace,
        )
        .diagnostics
    }

    fn insert(doc: &mut DocumentText, line: u32, character: u32, text: &str, seq: u64) {
        let at = Position::new(line, character);
        doc.apply(
            &[TextDocumentContentChangeEvent {
                range: Some(LspRange::new(at, at)),
                range_length: None,
                text: text.into(),
            }],
            seq as i32,
            seq,
            Encoding::Utf8,
        );
    }

    const SOURCE: &str = "import time\n\n\nclass TestA:\n    def test_one(self):\n        x = 1\n\n    def test_two(self):\n        \"\"\"Doc.\"\"\"\n        y = 2\n";

    /// [`SOURCE`] as an open document, with an analyzer that has checked it completely.
    fn checked_source() -> (CheckConfig, DocumentText, Analyzer) {
        let config = config();
        let doc = DocumentText::new(SOURCE.into(), 1, 1);
        let mut analyzer = Analyzer::new();
        analyzer
            .analyze(&doc.current, &[], &config, Mode::Exact, &|| None)
            .unwrap();
        (config, doc, analyzer)
    }

    /// Analyzes the document at `seq` with no parse budget: the fallback answers when it can.
    fn unbudgeted(
        analyzer: &mut Analyzer,
        doc: &DocumentText,
        seq: u64,
        config: &CheckConfig,
    ) -> Arc<Analysis> {
        let changes = doc.changes_between(analyzer.tree_seq().unwrap(), seq);
        analyzer
            .analyze(
                &doc.current,
                &changes,
                config,
                Mode::Budget(Duration::ZERO),
                &|| None,
            )
            .unwrap()
    }

    #[test]
    fn incremental_analyses_match_fresh_checks() {
        let config = config();
        let mut doc = DocumentText::new(SOURCE.into(), 1, 1);
        let mut analyzer = Analyzer::new();
        let never = || None;
        let first = analyzer
            .analyze(&doc.current, &[], &config, Mode::Exact, &never)
            .unwrap();
        assert_eq!(first.diagnostics, fresh(SOURCE, &config));
        let typed = "time.sleep(1)\n        ";
        for (i, ch) in typed.char_indices() {
            let seq = 2 + i as u64;
            insert(&mut doc, 5, 8 + i as u32, &ch.to_string(), seq);
            let changes = doc.changes_between(analyzer.tree_seq().unwrap_or(0), seq);
            let analysis = analyzer
                .analyze(&doc.current, &changes, &config, Mode::Exact, &never)
                .unwrap();
            assert!(analysis.exact);
            assert_eq!(
                analysis.diagnostics,
                fresh(&doc.current.text, &config),
                "after typing {:?}",
                &typed[..=i]
            );
        }
    }

    #[test]
    fn an_exhausted_budget_answers_provisionally_then_exactly() {
        let (config, mut doc, mut analyzer) = checked_source();
        let never = || None;
        // A statement appended to test_one's body; no budget forces the fallback.
        insert(&mut doc, 5, 13, "\n        z = 2", 2);
        let provisional = unbudgeted(&mut analyzer, &doc, 2, &config);
        assert!(!provisional.exact);
        assert_eq!(provisional.diagnostics, fresh(&doc.current.text, &config));
        // Broken syntax in the unit: the fallback still answers, without panicking.
        insert(&mut doc, 6, 13, " + (", 3);
        let broken = unbudgeted(&mut analyzer, &doc, 3, &config);
        assert!(!broken.exact);
        let exact = analyzer
            .analyze(&doc.current, &[], &config, Mode::Exact, &never)
            .unwrap();
        assert!(exact.exact);
        assert_eq!(exact.diagnostics, fresh(&doc.current.text, &config));
    }

    #[test]
    fn provisional_analyses_keep_the_untouched_units_cached() {
        let (config, mut doc, mut analyzer) = checked_source();
        let never = || None;
        let cached: Vec<UnitKey> = analyzer.cache.entries.keys().copied().collect();
        assert!(cached.len() >= 2, "every unit of the source is cached");
        // Several keystrokes in test_one, each answered provisionally.
        for (i, letter) in ["\n        z", " ", "=", " ", "2"].iter().enumerate() {
            let seq = 2 + i as u64;
            let column = if i == 0 { 13 } else { 8 + i as u32 };
            insert(&mut doc, if i == 0 { 5 } else { 6 }, column, letter, seq);
            let provisional = unbudgeted(&mut analyzer, &doc, seq, &config);
            assert!(!provisional.exact);
            assert_eq!(provisional.diagnostics, fresh(&doc.current.text, &config));
        }
        // The units the typing did not touch are still cached for the complete analysis.
        let still: Vec<&UnitKey> = cached
            .iter()
            .filter(|key| analyzer.cache.entries.contains_key(key))
            .collect();
        assert!(
            still.len() + 1 >= cached.len(),
            "only test_one's old entry may go"
        );
        let exact = analyzer
            .analyze(&doc.current, &[], &config, Mode::Exact, &never)
            .unwrap();
        assert!(exact.exact);
        assert_eq!(exact.diagnostics, fresh(&doc.current.text, &config));
    }

    #[test]
    fn the_incremental_unit_tree_matches_a_fresh_standalone_parse() {
        let (config, mut doc, mut analyzer) = checked_source();
        // Typing a statement, through broken syntax, before test_one's `x = 1`: the unit's
        // text after the edit moves, so the kept tree must have been edited along.
        let typed = [
            "y", " ", "=", " ", "f", "(", "1", ",", " ", "é", ")", "\n", "        ",
        ];
        let (mut line, mut column) = (5, 8);
        for (i, piece) in typed.iter().enumerate() {
            let seq = 2 + i as u64;
            insert(&mut doc, line, column, piece, seq);
            column += piece.len() as u32;
            if *piece == "\n" {
                // The rest of the typing goes on the new line, in front of `x = 1`.
                line += 1;
                column = 0;
            }
            let analysis = unbudgeted(&mut analyzer, &doc, seq, &config);
            assert!(!analysis.exact, "answered from the fallback");
            let edited = analyzer.edited.as_ref().unwrap();
            let (index, tree) = edited.unit.as_ref().expect("the unit's tree is kept");
            let mut parser = proctor_linter::parse::new_parser();
            parser
                .set_included_ranges(&[unit_range(&doc.current, &edited.spans[*index])])
                .unwrap();
            let fresh = parser.parse(doc.current.text.as_str(), None).unwrap();
            assert_eq!(
                crate::replay::dump(tree),
                crate::replay::dump(&fresh),
                "after {:?}",
                &typed[..=i]
            );
        }
    }

    #[test]
    fn edits_outside_function_bodies_wait_for_the_parse() {
        let (config, mut doc, mut analyzer) = checked_source();
        // A new method at class level: the skeleton changes, no fallback.
        insert(
            &mut doc,
            7,
            0,
            "    def test_three(self):\n        pass\n\n",
            2,
        );
        let analysis = unbudgeted(&mut analyzer, &doc, 2, &config);
        assert!(analysis.exact);
        assert_eq!(analysis.diagnostics, fresh(&doc.current.text, &config));
        assert!(analysis.diagnostics.len() >= 2);
    }

    #[test]
    fn spans_follow_edits_inside_bodies_only() {
        let span = |start: usize| UnitSpan {
            anchor: start - 2,
            start,
            body: start + 10,
            end: start + 30,
            key: unit_key(None, (0, 0, 0), 0, 0),
            class: None,
            touched: false,
        };
        let mut spans = vec![span(10), span(50)];
        let edit = |start, old_end, new_end| InputEdit {
            start_byte: start,
            old_end_byte: old_end,
            new_end_byte: new_end,
            start_position: Default::default(),
            old_end_position: Default::default(),
            new_end_position: Default::default(),
        };
        assert!(move_spans(&mut spans, &edit(30, 30, 33)));
        assert_eq!(spans[0].end, 43);
        assert!(spans[0].touched);
        assert_eq!(
            (spans[1].anchor, spans[1].start, spans[1].body, spans[1].end),
            (51, 53, 63, 83)
        );
        assert!(
            move_spans(&mut spans, &edit(83, 83, 84)),
            "at the end of a unit"
        );
        assert!(!move_spans(&mut spans, &edit(15, 15, 16)), "in a header");
        assert!(!move_spans(&mut spans, &edit(45, 45, 46)), "between units");
        assert!(!move_spans(&mut spans, &edit(5, 5, 6)), "before every unit");
        assert!(!move_spans(&mut spans, &edit(30, 60, 30)), "across units");
    }
}
