//! Incremental checking of one document.
//!
//! An [`Analyzer`] belongs to one open document and turns snapshots of its text into
//! [`Analysis`]es (diagnostics for one version). Three mechanisms keep that cheap on every
//! keystroke:
//!
//! - **Incremental parsing.** The analyzer keeps the last complete syntax tree and brings it up
//!   to the requested version with the edit log's `InputEdit`s (`Tree::edit`), then reparses
//!   with tree-sitter reusing every unchanged subtree. A whole-document replacement drops the
//!   tree and parses from scratch.
//! - **A unit cache.** A unit's function-check output depends only on the unit's own text
//!   (from the start of its first line) and on the skeleton's position-free facts
//!   ([`FileModel::context_fingerprint`]), so outputs are cached under that key and reused —
//!   moved to where the unit is now — for every unit an edit did not touch. Only the module
//!   and file checks run over the whole file again, and they read owned summaries.
//! - **A parse budget for the tail.** While typing, tree-sitter's error recovery sometimes
//!   reparses much of a huge file (an unclosed parenthesis swallows what follows: 100–300 ms on
//!   a 1.5 MB file). When every edit since the last complete parse lies inside one function
//!   body (the usual case), the parse runs under a budget. If the budget runs out, the parse
//!   is suspended (tree-sitter resumes it later from where it stopped) and the analysis is
//!   answered *provisionally*: the skeleton comes from the old tree moved along by the edits
//!   (only function bodies changed, so it still holds), each edited unit is parsed on its own
//!   (the parser's included ranges limited to that unit's lines, so positions stay those of
//!   the whole document), and every other unit's output is reused. The caller then finishes
//!   the parse in the background and reconciles: the exact analysis replaces the provisional
//!   one, and the client hears about it if the diagnostics differ.

use std::collections::{HashMap, VecDeque};
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use proctor_linter::engine::{self, RulePanic, UnitOutput};
use proctor_linter::model::{FileModel, UnitNode};
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
    /// The complete syntax tree (exact analyses of test files only).
    pub tree: Option<Tree>,
    /// Sorted by position, suppressed findings removed.
    pub diagnostics: Vec<Diagnostic>,
    pub panics: Vec<RulePanic>,
}

/// A unit's place, kept up to date across edits so the analyzer knows whether every edit
/// since the last complete parse stayed inside function bodies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct UnitSpan {
    /// Where the unit starts (its first decorator or `def`).
    start: usize,
    /// The end of the header's `:`; edits at or after it and before `end` are in the body.
    body: usize,
    end: usize,
    /// An edit landed in this unit since the last complete parse.
    touched: bool,
}

/// The last complete parse, moved along by the edits since.
struct EditedTree {
    tree: Tree,
    /// The text `tree` matches (after the edits).
    seq: u64,
    /// No edit since the parse: `tree` is a complete parse of the text at `seq`.
    parsed: bool,
    spans: Vec<UnitSpan>,
    /// Every edit since the parse landed inside one unit's body.
    local_edits: bool,
}

impl EditedTree {
    fn apply(&mut self, edit: &InputEdit) {
        self.tree.edit(edit);
        self.parsed = false;
        if self.local_edits {
            self.local_edits = move_spans(&mut self.spans, edit);
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
        later.start = later.start.saturating_add_signed(delta);
        later.body = later.body.saturating_add_signed(delta);
        later.end = later.end.saturating_add_signed(delta);
    }
    true
}

/// The cache key of a unit's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct UnitKey {
    text: u128,
    len: usize,
    class: Option<usize>,
    context: u64,
    config: u64,
    /// Computed from a parse of the unit alone (a provisional analysis): never used for an
    /// exact one, where error recovery around the unit may parse it differently.
    standalone: bool,
}

struct CachedUnit {
    output: Arc<UnitOutput>,
    /// Where the unit's first line started when the output was computed.
    anchor: usize,
    used: u64,
}

/// Outputs of units, by key. Entries unused for a few analyses are dropped.
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

    /// Ends an analysis: forgets entries not used in the last two.
    fn sweep(&mut self) {
        let epoch = self.epoch;
        self.entries.retain(|_, e| e.used + 2 >= epoch);
        self.epoch += 1;
    }
}

/// How many recent analyses are kept for requests about the same version.
const RECENT: usize = 4;

/// The incremental checker of one document.
pub struct Analyzer {
    parser: Parser,
    /// Parses single units for provisional analyses (its included ranges change each time).
    unit_parser: Parser,
    edited: Option<EditedTree>,
    /// The parser holds a suspended parse of the text at this seq.
    suspended: Option<u64>,
    cache: UnitCache,
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

    /// The newest analysis made, exact or not.
    pub fn latest(&self) -> Option<Arc<Analysis>> {
        self.recent.back().cloned()
    }

    fn remember(&mut self, analysis: Arc<Analysis>) {
        self.recent
            .retain(|a| !(a.seq == analysis.seq && a.config_id == analysis.config_id));
        self.recent.push_back(analysis);
        while self.recent.len() > RECENT {
            self.recent.pop_front();
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
            self.edited = Some(EditedTree {
                tree: tree.clone(),
                seq: snapshot.seq,
                parsed: true,
                spans: spans_of(&file),
                local_edits: true,
            });
        }
        let context = file.context_fingerprint();
        let mut outputs = Vec::with_capacity(file.units.len());
        for (index, unit) in file.units.iter().enumerate() {
            if index % 64 == 63
                && let Some(reason) = stop()
            {
                return Err(reason);
            }
            let (key, anchor) = unit_key(&file, unit, context, config.unit_id, false);
            match self.cache.get(&key, anchor) {
                Some(hit) => outputs.push(hit),
                None => {
                    let output = evaluate(&file, config, *unit);
                    outputs.push((self.store(key, anchor, unit, output), 0));
                }
            }
        }
        let evaluated = started.elapsed();
        let result = self.finish(&file, config, &outputs);
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
            diagnostics: result.0,
            panics: result.1,
        }))
    }

    /// The fallback when the budget ran out: the skeleton of the edited old tree, the edited
    /// units parsed on their own, every other unit's output reused. `None` when the edited
    /// tree's units do not line up with the spans the edits were checked against.
    fn provisional(
        &mut self,
        snapshot: &Snapshot,
        config: &CheckConfig,
        stop: &dyn Fn() -> Option<Stop>,
    ) -> Result<Option<Arc<Analysis>>, Stop> {
        let Some(edited) = &self.edited else {
            return Ok(None);
        };
        let started = Instant::now();
        let stale = edited.tree.clone();
        let spans = edited.spans.clone();
        let text = snapshot.text.as_str();
        let file = FileModel::build_with_lines(
            &stale,
            text,
            config.path.as_deref(),
            (*snapshot.lines).clone(),
        );
        let lined_up = file.units.len() == spans.len()
            && file.units.iter().zip(&spans).all(|(unit, span)| {
                unit.outer.start_byte() == span.start && unit.outer.end_byte() == span.end
            });
        if !lined_up {
            return Ok(None);
        }
        let context = file.context_fingerprint();
        let mut standalone_trees: Vec<Tree> = Vec::new();
        let mut pending: Vec<(usize, UnitKey, usize)> = Vec::new();
        let mut outputs: Vec<Option<(Arc<UnitOutput>, isize)>> = Vec::with_capacity(spans.len());
        for (index, (unit, span)) in file.units.iter().zip(&spans).enumerate() {
            if let Some(reason) = stop() {
                return Err(reason);
            }
            let (key, anchor) = unit_key(&file, unit, context, config.unit_id, false);
            if let Some(hit) = self.cache.get(&key, anchor) {
                outputs.push(Some(hit));
                continue;
            }
            if !span.touched {
                // Untouched by the edits, so its subtree in the old tree is still right.
                let output = evaluate(&file, config, *unit);
                outputs.push(Some((self.store(key, anchor, unit, output), 0)));
                continue;
            }
            let standalone_key = UnitKey {
                standalone: true,
                ..key
            };
            if let Some(hit) = self.cache.get(&standalone_key, anchor) {
                outputs.push(Some(hit));
                continue;
            }
            let range = TextRange::new(anchor, unit.outer.end_byte());
            self.unit_parser
                .set_included_ranges(&[Range {
                    start_byte: range.start,
                    end_byte: range.end,
                    start_point: snapshot.point(range.start),
                    end_point: snapshot.point(range.end),
                }])
                .map_err(|_| Stop::Cancelled)?;
            let bytes = snapshot.text.as_bytes();
            let tree = self.unit_parser.parse_with_options(
                &mut |offset, _| bytes.get(offset..).unwrap_or_default(),
                None,
                None,
            );
            if let Some(tree) = tree {
                standalone_trees.push(tree);
                pending.push((index, standalone_key, anchor));
            }
            outputs.push(None);
        }
        // Evaluate the edited units from their own trees (kept alive until here).
        for ((index, key, anchor), tree) in pending.into_iter().zip(&standalone_trees) {
            let unit = &file.units[index];
            let output = match standalone_unit(tree, unit) {
                Some(node) => evaluate(&file, config, node),
                // The unit no longer parses as one function: it has no findings until the
                // complete parse says what it is.
                None => Some(UnitOutput::default()),
            };
            outputs[index] = Some((self.store(key, anchor, unit, output), 0));
        }
        let outputs: Vec<(Arc<UnitOutput>, isize)> = outputs.into_iter().flatten().collect();
        let evaluated = started.elapsed();
        let (diagnostics, panics) = self.finish(&file, config, &outputs);
        tracing::debug!(
            "provisional check: skeleton and units {:?}, finish {:?}",
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
            tree: None,
            diagnostics,
            panics,
        })))
    }

    /// Caches an output when it is self-contained (every range inside the unit, so moving
    /// it with the unit is right), and returns it.
    fn store(
        &mut self,
        key: UnitKey,
        anchor: usize,
        unit: &UnitNode,
        output: Option<UnitOutput>,
    ) -> Arc<UnitOutput> {
        let Some(output) = output else {
            // The unit's evaluation panicked outside any rule: nothing cached, nothing found.
            return Arc::new(UnitOutput::default());
        };
        let output = Arc::new(output);
        if self_contained(&output, TextRange::new(anchor, unit.outer.end_byte())) {
            self.cache.insert(key, output.clone(), anchor);
        }
        output
    }

    fn finish(
        &mut self,
        file: &FileModel,
        config: &CheckConfig,
        outputs: &[(Arc<UnitOutput>, isize)],
    ) -> (Vec<Diagnostic>, Vec<RulePanic>) {
        let shifted: Vec<(&UnitOutput, isize)> =
            outputs.iter().map(|(o, d)| (o.as_ref(), *d)).collect();
        let result = catch_unwind(AssertUnwindSafe(|| {
            engine::finish_shifted(
                file,
                &config.settings,
                config.rules,
                &config.workspace,
                &shifted,
            )
        }));
        self.cache.sweep();
        match result {
            Ok(output) => (output.diagnostics, output.panics),
            Err(payload) => (
                Vec::new(),
                vec![RulePanic {
                    rule: "module and file checks",
                    message: panic_message(payload.as_ref()),
                }],
            ),
        }
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

/// The key of a unit's output and its anchor (the start of the unit's first line).
fn unit_key(
    file: &FileModel,
    unit: &UnitNode,
    context: u64,
    config: u64,
    standalone: bool,
) -> (UnitKey, usize) {
    let start = unit.outer.start_byte();
    let anchor = file.lines.line_start(file.lines.line_of(start));
    let text = file
        .source
        .get(anchor..unit.outer.end_byte())
        .unwrap_or_default();
    (
        UnitKey {
            text: xxhash_rust::xxh3::xxh3_128(text.as_bytes()),
            len: text.len(),
            class: unit.class,
            context,
            config,
            standalone,
        },
        anchor,
    )
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

/// Where each unit's body starts: the end of the `:` closing its header.
fn spans_of(file: &FileModel) -> Vec<UnitSpan> {
    file.units
        .iter()
        .map(|unit| {
            let end = unit.outer.end_byte();
            let mut cursor = unit.function.walk();
            let body = unit
                .function
                .children(&mut cursor)
                .find(|c| !c.is_named() && c.kind() == ":")
                .map_or(end, |colon| colon.end_byte());
            UnitSpan {
                start: unit.outer.start_byte(),
                body,
                end,
                touched: false,
            }
        })
        .collect()
}

/// The unit in a standalone parse of its lines: the first statement, if it is the same
/// function starting at the same place.
fn standalone_unit<'t>(tree: &'t Tree, stale: &UnitNode) -> Option<UnitNode<'t>> {
    let root = tree.root_node();
    let mut cursor = root.walk();
    let first = root
        .named_children(&mut cursor)
        .find(|n| kind(*n) != Kind::Comment)?;
    if first.start_byte() != stale.outer.start_byte() {
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
        class: stale.class,
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
        let config = config();
        let mut doc = DocumentText::new(SOURCE.into(), 1, 1);
        let mut analyzer = Analyzer::new();
        let never = || None;
        analyzer
            .analyze(&doc.current, &[], &config, Mode::Exact, &never)
            .unwrap();
        // A statement appended to test_one's body; no budget forces the fallback.
        insert(&mut doc, 5, 13, "\n        z = 2", 2);
        let changes = doc.changes_between(analyzer.tree_seq().unwrap(), 2);
        let provisional = analyzer
            .analyze(
                &doc.current,
                &changes,
                &config,
                Mode::Budget(Duration::ZERO),
                &never,
            )
            .unwrap();
        assert!(!provisional.exact);
        assert_eq!(provisional.diagnostics, fresh(&doc.current.text, &config));
        // Broken syntax in the unit: the fallback still answers, without panicking.
        insert(&mut doc, 6, 13, " + (", 3);
        let changes = doc.changes_between(analyzer.tree_seq().unwrap(), 3);
        let broken = analyzer
            .analyze(
                &doc.current,
                &changes,
                &config,
                Mode::Budget(Duration::ZERO),
                &never,
            )
            .unwrap();
        assert!(!broken.exact);
        let exact = analyzer
            .analyze(&doc.current, &[], &config, Mode::Exact, &never)
            .unwrap();
        assert!(exact.exact);
        assert_eq!(exact.diagnostics, fresh(&doc.current.text, &config));
    }

    #[test]
    fn edits_outside_function_bodies_wait_for_the_parse() {
        let config = config();
        let mut doc = DocumentText::new(SOURCE.into(), 1, 1);
        let mut analyzer = Analyzer::new();
        let never = || None;
        analyzer
            .analyze(&doc.current, &[], &config, Mode::Exact, &never)
            .unwrap();
        // A new method at class level: the skeleton changes, no fallback.
        insert(
            &mut doc,
            7,
            0,
            "    def test_three(self):\n        pass\n\n",
            2,
        );
        let changes = doc.changes_between(analyzer.tree_seq().unwrap(), 2);
        let analysis = analyzer
            .analyze(
                &doc.current,
                &changes,
                &config,
                Mode::Budget(Duration::ZERO),
                &never,
            )
            .unwrap();
        assert!(analysis.exact);
        assert_eq!(analysis.diagnostics, fresh(&doc.current.text, &config));
        assert!(analysis.diagnostics.len() >= 2);
    }

    #[test]
    fn spans_follow_edits_inside_bodies_only() {
        let mut spans = vec![
            UnitSpan {
                start: 10,
                body: 20,
                end: 40,
                touched: false,
            },
            UnitSpan {
                start: 50,
                body: 60,
                end: 80,
                touched: false,
            },
        ];
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
        assert_eq!((spans[1].start, spans[1].body, spans[1].end), (53, 63, 83));
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
