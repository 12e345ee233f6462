//! The server's state and the LSP methods that are not about one document's text.
//!
//! Document notifications are applied by the [`crate::dispatch`] layer before any handler runs;
//! this module holds what they change ([`Shared`], [`Doc`]) and the [`Backend`] that
//! tower-lsp-server calls for everything else, plus the handlers of the requests the dispatch
//! layer parks with a snapshot (diagnostics, hover, code actions).
//!
//! Analyses run on tokio's blocking threads, one document's at a time (its [`Analyzer`] is
//! behind a mutex). Background work — publishing in push mode, finishing a parse that ran out
//! of budget — is done by one *driver* per document, which yields to requests: a request
//! announces itself in `waiting` and the driver's parse stops at its next progress check.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use futures::FutureExt;
use serde::Deserialize;
use serde_json::{Value, json};
use std::panic::AssertUnwindSafe;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Id, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::analysis::{Analysis, Analyzer, CheckConfig, Mode, Stop, panic_message};
use crate::config::{ClientSettings, Workspaces};
use crate::convert::{WireRanges, wire_diagnostics};
use crate::document::{DocumentText, Snapshot};
use crate::framing::{Outbox, frame};
use crate::position::{Encoding, offset};

/// Tunables of the server.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// How long a diagnostics request may spend reparsing before it is answered from the
    /// fallback (see [`crate::analysis`]), when every edit since the last complete check is
    /// inside function bodies. Zero (the default): such edits are always answered from the
    /// fallback, and the reparse runs in the background once the typing pauses. (While
    /// typing, tree-sitter's error recovery makes even a 50 kB file's reparse take milliseconds
    /// more often than not.)
    pub parse_budget: Duration,
    /// Documents shorter than this (bytes) are always checked completely.
    pub small_document: usize,
    /// How long the text must stay unchanged before a parse that ran out of budget is finished
    /// in the background (and the provisional answers reconciled).
    pub settle: Duration,
    /// Deliberate failures, for the robustness tests.
    #[doc(hidden)]
    pub fault: Option<Fault>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            parse_budget: Duration::ZERO,
            small_document: 16 * 1024,
            settle: Duration::from_millis(150),
            fault: None,
        }
    }
}

/// A deliberate failure (tests only): proves panics are contained.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Every hover handler panics.
    PanicInHover,
    /// Analyzing a text holding `PANIC_HERE` panics.
    PanicInAnalysis,
}

/// What was negotiated with the client.
#[derive(Clone, Debug, Default)]
pub struct Session {
    pub encoding: Encoding,
    /// The client pulls diagnostics (`textDocument/diagnostic`); else they are pushed.
    pub pull: bool,
    /// The client accepts `workspace/diagnostic/refresh`.
    pub refresh: bool,
    /// Workspace edits may carry versioned `documentChanges`.
    pub document_changes: bool,
    /// Code actions may leave their `edit` to `codeAction/resolve`.
    pub resolve_edit: bool,
    /// The client answers `workspace/configuration`.
    pub configuration: bool,
    /// The client lets servers register file watchers.
    pub watch_registration: bool,
    /// Hover may be Markdown.
    pub markdown: bool,
}

/// A step of a document's driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    /// Publish diagnostics for the newest text (push mode).
    Publish(Mode),
    /// Replace provisional diagnostics by exact ones.
    Reconcile,
}

/// What the client was last told about a document's diagnostics.
#[derive(Clone, Copy, Debug, Default)]
struct Reported {
    any: bool,
    seq: u64,
    config: u64,
    exact: bool,
    hash: u64,
}

/// An open document.
pub struct Doc {
    pub uri: Uri,
    pub path: Option<PathBuf>,
    pub text: Mutex<DocumentText>,
    /// The seq of the newest text (read by background work without taking `text`).
    latest: AtomicU64,
    /// When the text last changed.
    changed: Mutex<Instant>,
    config: RwLock<Arc<CheckConfig>>,
    analyzer: Mutex<Analyzer>,
    /// Requests waiting for the analyzer; background work yields to them.
    waiting: AtomicUsize,
    closed: AtomicBool,
    /// A driver is running for this document.
    driver: AtomicBool,
    /// A timer will kick the driver.
    timer: AtomicBool,
    reported: Mutex<Reported>,
    /// `(seq, config)` of the newest exact analysis.
    last_exact: Mutex<(u64, u64)>,
    /// Rule panics already logged.
    logged: Mutex<HashSet<String>>,
}

impl Doc {
    fn new(uri: Uri, path: Option<PathBuf>, text: DocumentText, config: CheckConfig) -> Self {
        Self {
            uri,
            path,
            latest: AtomicU64::new(text.current.seq),
            changed: Mutex::new(Instant::now()),
            text: Mutex::new(text),
            config: RwLock::new(Arc::new(config)),
            analyzer: Mutex::new(Analyzer::new()),
            waiting: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            driver: AtomicBool::new(false),
            timer: AtomicBool::new(false),
            reported: Mutex::new(Reported::default()),
            last_exact: Mutex::new((0, 0)),
            logged: Mutex::new(HashSet::new()),
        }
    }

    pub fn config(&self) -> Arc<CheckConfig> {
        self.config
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn snapshot(&self) -> Snapshot {
        lock(&self.text).current.clone()
    }
}

/// A request the dispatch layer parked with the snapshot it arrived at.
pub struct Parked {
    pub doc: Option<(Arc<Doc>, Snapshot)>,
    pub at: Instant,
}

/// The params of a parked request, as the dispatch layer rewrites them.
#[derive(Deserialize)]
pub struct ParkedParams {
    pub parked: u64,
    pub params: Value,
}

/// State shared by the dispatch layer and the handlers.
pub struct Shared {
    pub client: Client,
    pub options: ServerOptions,
    session: RwLock<Session>,
    /// The `initialize` request was answered: documents may open.
    pub initialized: AtomicBool,
    /// The client said `initialized`: messages for the user can go out.
    ready_for_messages: AtomicBool,
    pub shut_down: AtomicBool,
    pub docs: DashMap<Uri, Arc<Doc>>,
    parked: DashMap<u64, Parked>,
    next_parked: AtomicU64,
    next_seq: AtomicU64,
    workspaces: RwLock<Workspaces>,
    /// A second reading of changed configuration files is scheduled.
    reload_pending: AtomicBool,
    /// Configuration errors already shown (cleared when configuration changes).
    shown: Mutex<HashSet<String>>,
    /// Messages for the client from before it was initialized.
    queued: Mutex<Vec<(MessageType, String)>>,
    /// Frames written to the client directly (diagnostics).
    outbox: Outbox,
    /// Diagnostic requests answered directly, until answered (for `$/cancelRequest`).
    direct: DashMap<Id, Arc<DirectRequest>>,
    runtime: tokio::runtime::Handle,
}

/// A request answered through the outbox.
#[derive(Default)]
pub struct DirectRequest {
    cancelled: Arc<AtomicBool>,
    /// Set by whoever answers first (the handler or a cancellation).
    answered: AtomicBool,
}

pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sets a flag when dropped: a request future dropped by `$/cancelRequest` stops its work.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// The file path of a `file:` URI; for other schemes, the last path segment (so an unsaved
/// `untitled:test_x.py` is still judged by its name).
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    if uri.scheme().as_str().eq_ignore_ascii_case("file") {
        return uri.to_file_path().map(|p| p.into_owned());
    }
    let path = uri.path().as_str();
    let name = path.rsplit('/').next().filter(|n| !n.is_empty())?;
    Some(PathBuf::from(name))
}

impl Shared {
    fn new(client: Client, options: ServerOptions, outbox: Outbox) -> Self {
        Self {
            outbox,
            direct: DashMap::new(),
            client,
            options,
            session: RwLock::new(Session::default()),
            initialized: AtomicBool::new(false),
            ready_for_messages: AtomicBool::new(false),
            shut_down: AtomicBool::new(false),
            docs: DashMap::new(),
            parked: DashMap::new(),
            next_parked: AtomicU64::new(1),
            next_seq: AtomicU64::new(1),
            workspaces: RwLock::new(Workspaces::new(Vec::new(), ClientSettings::default())),
            reload_pending: AtomicBool::new(false),
            shown: Mutex::new(HashSet::new()),
            queued: Mutex::new(Vec::new()),
            runtime: tokio::runtime::Handle::current(),
        }
    }

    pub fn session(&self) -> Session {
        self.session
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn next_seq(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::SeqCst)
    }

    /// Tells the user something (a `window/showMessage`), without waiting for it.
    pub fn show(&self, kind: MessageType, message: String) {
        {
            // The queue's lock orders this against `initialized` emptying the queue.
            let mut queued = lock(&self.queued);
            if !self.ready_for_messages.load(Ordering::SeqCst) {
                queued.push((kind, message));
                return;
            }
        }
        let client = self.client.clone();
        self.runtime
            .spawn(async move { client.show_message(kind, message).await });
    }

    /// Logs to the client's output (`window/logMessage`) and to stderr.
    pub fn log(&self, kind: MessageType, message: String) {
        if kind == MessageType::ERROR {
            tracing::error!("{message}");
        } else {
            tracing::info!("{message}");
        }
        let client = self.client.clone();
        self.runtime
            .spawn(async move { client.log_message(kind, message).await });
    }

    fn warn_config(&self, error: String) {
        if lock(&self.shown).insert(error.clone()) {
            self.show(
                MessageType::WARNING,
                format!("Proctor: configuration error, using the defaults: {error}"),
            );
        }
    }

    fn config_for(&self, path: Option<&std::path::Path>) -> CheckConfig {
        let (config, error) = self
            .workspaces
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .config_for(path);
        if let Some(error) = error {
            self.warn_config(error);
        }
        config
    }

    // ---- document notifications, applied at dispatch, in wire order ----

    pub fn open(self: &Arc<Self>, params: DidOpenTextDocumentParams) {
        let document = params.text_document;
        let path = uri_to_path(&document.uri);
        let config = self.config_for(path.as_deref());
        let text = DocumentText::new(document.text, document.version, self.next_seq());
        let doc = Arc::new(Doc::new(document.uri.clone(), path, text, config));
        if let Some(old) = self.docs.insert(document.uri, doc.clone()) {
            old.closed.store(true, Ordering::SeqCst);
        }
        if !self.session().pull {
            self.kick(&doc);
        }
    }

    pub fn change(self: &Arc<Self>, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let Some(doc) = self.docs.get(&uri).map(|d| d.clone()) else {
            tracing::warn!("ignoring a change to {} which is not open", uri.as_str());
            return;
        };
        let version = params.text_document.version;
        let encoding = self.session().encoding;
        {
            let mut text = lock(&doc.text);
            if version <= text.current.version {
                tracing::warn!(
                    "ignoring version {version} of {}: already at {}",
                    uri.as_str(),
                    text.current.version
                );
                return;
            }
            let seq = self.next_seq();
            let applying = Instant::now();
            text.apply(&params.content_changes, version, seq, encoding);
            tracing::debug!("applied version {version} in {:?}", applying.elapsed());
            doc.latest.store(seq, Ordering::SeqCst);
            *lock(&doc.changed) = Instant::now();
        }
        if !self.session().pull {
            self.kick(&doc);
        }
    }

    pub fn close(self: &Arc<Self>, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        let Some((_, doc)) = self.docs.remove(&uri) else {
            return;
        };
        doc.closed.store(true, Ordering::SeqCst);
        if !self.session().pull {
            let client = self.client.clone();
            self.runtime.spawn(async move {
                client.publish_diagnostics(uri, Vec::new(), None).await;
            });
        }
    }

    /// The open document of a URI, and its snapshot now.
    pub fn snapshot_of(&self, uri: Option<&str>) -> Option<(Arc<Doc>, Snapshot)> {
        uri.and_then(|u| u.parse::<Uri>().ok())
            .and_then(|u| self.docs.get(&u).map(|d| d.clone()))
            .map(|doc| {
                let snapshot = doc.snapshot();
                (doc, snapshot)
            })
    }

    /// Parks a request with the snapshot of its document; returns the parking ticket.
    pub fn park(&self, uri: Option<&str>) -> u64 {
        let doc = self.snapshot_of(uri);
        let ticket = self.next_parked.fetch_add(1, Ordering::SeqCst);
        if self.parked.len() > 256 {
            // Requests dropped before their handler ran (cancelled early) leave tickets.
            let now = Instant::now();
            self.parked
                .retain(|_, p| now.duration_since(p.at) < Duration::from_secs(60));
        }
        self.parked.insert(
            ticket,
            Parked {
                doc,
                at: Instant::now(),
            },
        );
        ticket
    }

    fn unpark(&self, ticket: u64) -> Option<(Arc<Doc>, Snapshot)> {
        self.parked.remove(&ticket).and_then(|(_, p)| p.doc)
    }

    // ---- analysis ----

    /// Starts the document's driver unless it is running.
    fn kick(self: &Arc<Self>, doc: &Arc<Doc>) {
        if doc.driver.swap(true, Ordering::SeqCst) {
            return;
        }
        let shared = self.clone();
        let doc = doc.clone();
        self.runtime.spawn_blocking(move || {
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| shared.drive(&doc)));
            if let Err(payload) = result {
                doc.driver.store(false, Ordering::SeqCst);
                shared.log(
                    MessageType::ERROR,
                    format!(
                        "Proctor: checking {} in the background panicked: {}",
                        doc.uri.as_str(),
                        panic_message(payload.as_ref())
                    ),
                );
            }
        });
    }

    /// What the driver should do next for a document, if anything.
    fn next_work(&self, doc: &Doc) -> Option<Work> {
        if doc.closed.load(Ordering::SeqCst) {
            return None;
        }
        let latest = doc.latest.load(Ordering::SeqCst);
        let config = doc.config().id;
        let reported = *lock(&doc.reported);
        let current = reported.any && reported.seq == latest && reported.config == config;
        if !self.session().pull && !current {
            return Some(Work::Publish(self.mode_for(&doc.snapshot())));
        }
        (reported.any && !reported.exact && *lock(&doc.last_exact) != (latest, config))
            .then_some(Work::Reconcile)
    }

    /// Kicks the document's driver after `delay` (one timer at a time).
    fn kick_later(self: &Arc<Self>, doc: &Arc<Doc>, delay: Duration) {
        if doc.timer.swap(true, Ordering::SeqCst) {
            return;
        }
        let shared = self.clone();
        let doc = doc.clone();
        self.runtime.spawn(async move {
            tokio::time::sleep(delay).await;
            doc.timer.store(false, Ordering::SeqCst);
            shared.kick(&doc);
        });
    }

    /// The mode of a driver's next step; `None` when it is a reconciliation that must wait
    /// for the typing to pause (a timer is then set to come back).
    fn ready(self: &Arc<Self>, doc: &Arc<Doc>, work: Work) -> Option<Mode> {
        match work {
            Work::Publish(mode) => Some(mode),
            Work::Reconcile => {
                // Finishing a parse is for when the typing pauses: while keystrokes keep
                // coming, the provisional answers are what the user sees anyway.
                let quiet = lock(&doc.changed).elapsed();
                if quiet < self.options.settle {
                    self.kick_later(doc, self.options.settle - quiet);
                    None
                } else {
                    Some(Mode::Exact)
                }
            }
        }
    }

    /// The background loop of one document: publishes (push mode) and finishes parses that
    /// ran out of budget, always on the newest text, yielding to requests.
    fn drive(self: &Arc<Self>, doc: &Arc<Doc>) {
        loop {
            while let Some(work) = self.next_work(doc) {
                let Some(mode) = self.ready(doc, work) else {
                    break;
                };
                while doc.waiting.load(Ordering::SeqCst) > 0 {
                    std::thread::sleep(Duration::from_micros(200));
                }
                let snapshot = doc.snapshot();
                let stop = || {
                    if doc.closed.load(Ordering::Relaxed) {
                        Some(Stop::Cancelled)
                    } else if doc.waiting.load(Ordering::Relaxed) > 0 {
                        Some(Stop::Preempted)
                    } else if doc.latest.load(Ordering::Relaxed) != snapshot.seq {
                        Some(Stop::Superseded)
                    } else {
                        None
                    }
                };
                match self.run_analysis(doc, &snapshot, mode, &stop, false) {
                    Ok(analysis) => self.deliver(doc, &analysis),
                    Err(Stop::Cancelled) => break,
                    Err(Stop::Preempted | Stop::Superseded) => {}
                }
            }
            doc.driver.store(false, Ordering::SeqCst);
            // Work that arrived while the driver was finishing (a kick then saw it running);
            // a reconciliation that must wait has its timer.
            let pending = match self.next_work(doc) {
                Some(Work::Publish(_)) => true,
                Some(Work::Reconcile) => lock(&doc.changed).elapsed() >= self.options.settle,
                None => false,
            };
            if !pending || doc.driver.swap(true, Ordering::SeqCst) {
                return;
            }
        }
    }

    /// Runs the analyzer of a document on a snapshot (on a blocking thread).
    fn run_analysis(
        &self,
        doc: &Doc,
        snapshot: &Snapshot,
        mode: Mode,
        stop: &dyn Fn() -> Option<Stop>,
        request: bool,
    ) -> std::result::Result<Arc<Analysis>, Stop> {
        let config = doc.config();
        if request {
            doc.waiting.fetch_add(1, Ordering::SeqCst);
        }
        let mut analyzer = match doc.analyzer.lock() {
            Ok(guard) => guard,
            Err(poisoned) => {
                // An analysis panicked half-way: start over with a fresh analyzer.
                let mut guard = poisoned.into_inner();
                *guard = Analyzer::new();
                guard
            }
        };
        if request {
            doc.waiting.fetch_sub(1, Ordering::SeqCst);
        }
        if self.options.fault == Some(Fault::PanicInAnalysis)
            && snapshot.text.contains("PANIC_HERE")
        {
            panic!("injected panic while analyzing");
        }
        let changes =
            lock(&doc.text).changes_between(analyzer.tree_seq().unwrap_or(0), snapshot.seq);
        let result = analyzer.analyze(snapshot, &changes, &config, mode, stop);
        if let Some(seq) = analyzer.tree_seq() {
            lock(&doc.text).trim(seq);
        }
        drop(analyzer);
        if let Ok(analysis) = &result {
            self.note(doc, analysis);
        }
        result
    }

    /// Records an analysis: logs new rule panics, remembers exact ones.
    fn note(&self, doc: &Doc, analysis: &Analysis) {
        if analysis.exact {
            *lock(&doc.last_exact) = (analysis.seq, analysis.config_id);
        }
        for panic in &analysis.panics {
            let line = format!(
                "Proctor: rule {} panicked on {}: {}",
                panic.rule,
                doc.path
                    .as_deref()
                    .map_or_else(|| doc.uri.as_str().to_string(), |p| p.display().to_string()),
                panic.message
            );
            if lock(&doc.logged).insert(line.clone()) {
                self.log(MessageType::ERROR, line);
            }
        }
    }

    /// The driver's result: published in push mode; in pull mode, a refresh when an exact
    /// analysis contradicts the provisional one the client has.
    fn deliver(&self, doc: &Doc, analysis: &Analysis) {
        let session = self.session();
        let (items, hash) = wire_diagnostics(
            &analysis.diagnostics,
            &analysis.text,
            &analysis.lines,
            session.encoding,
        );
        let mut reported = lock(&doc.reported);
        let same_text =
            reported.any && reported.seq == analysis.seq && reported.config == analysis.config_id;
        if session.pull {
            if same_text && analysis.exact && !reported.exact {
                reported.exact = true;
                if reported.hash != hash {
                    reported.hash = hash;
                    drop(reported);
                    if session.refresh {
                        let client = self.client.clone();
                        self.runtime
                            .spawn(async move { client.workspace_diagnostic_refresh().await });
                    }
                }
            }
            return;
        }
        if same_text && reported.hash == hash {
            reported.exact |= analysis.exact;
            return;
        }
        if reported.any && reported.seq > analysis.seq {
            return;
        }
        *reported = Reported {
            any: true,
            seq: analysis.seq,
            config: analysis.config_id,
            exact: analysis.exact,
            hash,
        };
        drop(reported);
        if doc.closed.load(Ordering::SeqCst) {
            return;
        }
        let mut body = Vec::with_capacity(items.len() + 256);
        body.extend_from_slice(
            br#"{"jsonrpc":"2.0","method":"textDocument/publishDiagnostics","params":{"uri":"#,
        );
        let _ = serde_json::to_writer(&mut body, doc.uri.as_str());
        body.extend_from_slice(
            format!(r#","version":{},"diagnostics":"#, analysis.version).as_bytes(),
        );
        body.extend_from_slice(&items);
        body.extend_from_slice(b"}}");
        let _ = self.outbox.send(frame(&body));
    }

    // ---- pull diagnostics, answered directly ----

    /// Answers a `textDocument/diagnostic` request through the outbox: the report is written
    /// straight to JSON (a big file's report is the largest message the server sends, on
    /// every keystroke).
    pub fn pull(self: &Arc<Self>, id: Id, params: Value, doc: Option<(Arc<Doc>, Snapshot)>) {
        let request = Arc::new(DirectRequest::default());
        self.direct.insert(id.clone(), request.clone());
        let shared = self.clone();
        self.runtime.spawn(async move {
            let work = shared.pull_report(params, doc, request.cancelled.clone());
            let result = match AssertUnwindSafe(work).catch_unwind().await {
                Ok(result) => result,
                Err(payload) => {
                    let message = panic_message(payload.as_ref());
                    shared.log(
                        MessageType::ERROR,
                        format!("Proctor: pulling diagnostics panicked: {message}"),
                    );
                    Err(internal_error(message))
                }
            };
            shared.direct.remove(&id);
            if !request.answered.swap(true, Ordering::SeqCst) {
                shared.answer(&id, result);
            }
        });
    }

    /// `$/cancelRequest` for a directly answered request: answered at once as cancelled, and
    /// its analysis stops.
    pub fn cancel_direct(&self, id: &Id) {
        if let Some((_, request)) = self.direct.remove(id) {
            request.cancelled.store(true, Ordering::SeqCst);
            if !request.answered.swap(true, Ordering::SeqCst) {
                self.answer(id, Err(Error::request_cancelled()));
            }
        }
    }

    /// Writes a response: `Ok` holds the result's JSON.
    fn answer(&self, id: &Id, result: Result<Vec<u8>>) {
        let mut body = Vec::new();
        body.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
        let _ = serde_json::to_writer(&mut body, id);
        match result {
            Ok(json) => {
                body.extend_from_slice(br#","result":"#);
                body.extend_from_slice(&json);
            }
            Err(error) => {
                body.extend_from_slice(br#","error":"#);
                let _ = serde_json::to_writer(&mut body, &error);
            }
        }
        body.push(b'}');
        let _ = self.outbox.send(frame(&body));
    }

    async fn pull_report(
        self: &Arc<Self>,
        params: Value,
        doc: Option<(Arc<Doc>, Snapshot)>,
        cancelled: Arc<AtomicBool>,
    ) -> Result<Vec<u8>> {
        let request: DocumentDiagnosticParams = parse_params(params)?;
        let Some((doc, snapshot)) = doc else {
            return Ok(br#"{"kind":"full","items":[]}"#.to_vec());
        };
        let mode = self.mode_for(&snapshot);
        let analysis = self
            .analyze_for_request(doc.clone(), snapshot, mode, cancelled)
            .await?;
        let converting = Instant::now();
        let session = self.session();
        let wire = WireRanges::new(
            &analysis.diagnostics,
            &analysis.text,
            &analysis.lines,
            session.encoding,
        );
        let hash = wire.hash;
        {
            let mut reported = lock(&doc.reported);
            if !reported.any || reported.seq <= analysis.seq {
                *reported = Reported {
                    any: true,
                    seq: analysis.seq,
                    config: analysis.config_id,
                    exact: analysis.exact,
                    hash,
                };
            }
        }
        if !analysis.exact {
            self.kick(&doc);
        }
        let result_id = format!("{hash:016x}");
        if request.previous_result_id.as_deref() == Some(result_id.as_str()) {
            tracing::debug!(
                "{} diagnostics unchanged, seen in {:?}",
                analysis.diagnostics.len(),
                converting.elapsed()
            );
            return Ok(format!(r#"{{"kind":"unchanged","resultId":"{result_id}"}}"#).into_bytes());
        }
        // The client does not have these: write them.
        let items = wire.items(&analysis.diagnostics);
        tracing::debug!(
            "wrote {} diagnostics in {:?}",
            analysis.diagnostics.len(),
            converting.elapsed()
        );
        let mut out = Vec::with_capacity(items.len() + 64);
        out.extend_from_slice(
            format!(r#"{{"kind":"full","resultId":"{result_id}","items":"#).as_bytes(),
        );
        out.extend_from_slice(&items);
        out.push(b'}');
        Ok(out)
    }

    /// How a diagnostics request is analyzed: a small document is always checked
    /// completely (even through tree-sitter's slow error recovery that stays cheap), a
    /// larger one within the parse budget.
    fn mode_for(&self, snapshot: &Snapshot) -> Mode {
        if snapshot.text.len() < self.options.small_document {
            Mode::Exact
        } else {
            Mode::Budget(self.options.parse_budget)
        }
    }

    /// Analyzes a parked snapshot for a request; `$/cancelRequest` (which drops this future)
    /// stops the work.
    pub async fn analyze_for_request(
        self: &Arc<Self>,
        doc: Arc<Doc>,
        snapshot: Snapshot,
        mode: Mode,
        cancelled: Arc<AtomicBool>,
    ) -> Result<Arc<Analysis>> {
        let shared = self.clone();
        let task_doc = doc.clone();
        let task = tokio::task::spawn_blocking(move || {
            let stop = || {
                (cancelled.load(Ordering::Relaxed) || task_doc.closed.load(Ordering::Relaxed))
                    .then_some(Stop::Cancelled)
            };
            shared.run_analysis(&task_doc, &snapshot, mode, &stop, true)
        });
        match task.await {
            Ok(Ok(analysis)) => Ok(analysis),
            Ok(Err(_)) => Err(Error::request_cancelled()),
            Err(error) => {
                let message = if error.is_panic() {
                    panic_message(error.into_panic().as_ref())
                } else {
                    error.to_string()
                };
                self.log(
                    MessageType::ERROR,
                    format!("Proctor: checking {} panicked: {message}", doc.uri.as_str()),
                );
                Err(internal_error(format!(
                    "checking the document failed: {message}"
                )))
            }
        }
    }

    /// Re-reads configuration for every open document and re-checks them.
    fn reconfigure(self: &Arc<Self>) {
        lock(&self.shown).clear();
        let docs: Vec<Arc<Doc>> = self.docs.iter().map(|d| d.clone()).collect();
        for doc in &docs {
            let config = self.config_for(doc.path.as_deref());
            *doc.config.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(config);
        }
        let session = self.session();
        if session.pull {
            if session.refresh {
                let client = self.client.clone();
                self.runtime.spawn(async move {
                    let answer = client.workspace_diagnostic_refresh().await;
                    tracing::debug!("asked the client to pull again: {answer:?}");
                });
            }
        } else {
            for doc in &docs {
                self.kick(doc);
            }
        }
    }

    // ---- workspace notifications, applied at dispatch too: a request that follows one sees
    // its effect (an editor may send a configuration change and pull diagnostics at once) ----

    pub fn configuration_changed(self: &Arc<Self>, params: DidChangeConfigurationParams) {
        let empty =
            params.settings.is_null() || params.settings.as_object().is_some_and(|o| o.is_empty());
        if empty {
            self.pull_settings();
        } else {
            self.set_client_settings(&params.settings);
        }
    }

    pub fn watched_files_changed(self: &Arc<Self>, params: DidChangeWatchedFilesParams) {
        tracing::debug!(
            "watched files changed: {:?}",
            params
                .changes
                .iter()
                .map(|c| (c.uri.as_str(), c.typ))
                .collect::<Vec<_>>()
        );
        let mut relevant = false;
        {
            let mut workspaces = self
                .workspaces
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            let mut configuration = false;
            for change in &params.changes {
                let path = change.uri.path().as_str();
                let name = path.rsplit('/').next().unwrap_or(path);
                if matches!(name, "pyproject.toml" | "proctor.toml") {
                    configuration = true;
                } else if name.ends_with(".py")
                    && let Some(file) = folder_path(&change.uri)
                {
                    if change.typ == FileChangeType::DELETED {
                        workspaces.file_removed(&file);
                    } else {
                        workspaces.file_changed(&file);
                    }
                    relevant = true;
                }
            }
            if configuration {
                workspaces.reload();
                relevant = true;
            }
            if configuration {
                // An editor may report the file before it has finished writing it: read it
                // again a moment later (once per burst of changes).
                self.reload_again_later();
            }
        }
        if relevant {
            self.reconfigure();
        }
    }

    pub fn saved(self: &Arc<Self>, params: DidSaveTextDocumentParams) {
        // Other documents' findings may depend on this file's classes.
        if let Some(path) = folder_path(&params.text_document.uri) {
            self.workspaces
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .file_changed(&path);
            self.reconfigure();
        }
    }

    pub fn folders_changed(self: &Arc<Self>, params: DidChangeWorkspaceFoldersParams) {
        {
            let mut workspaces = self
                .workspaces
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            for removed in &params.event.removed {
                if let Some(root) = folder_path(&removed.uri) {
                    workspaces.remove_folder(&root);
                }
            }
            for added in &params.event.added {
                if let Some(root) = folder_path(&added.uri) {
                    workspaces.add_folder(root);
                }
            }
        }
        self.reconfigure();
    }

    /// Reads the configuration files again shortly (see `did_change_watched_files`).
    fn reload_again_later(self: &Arc<Self>) {
        if self.reload_pending.swap(true, Ordering::SeqCst) {
            return;
        }
        let shared = self.clone();
        self.runtime.spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            shared.reload_pending.store(false, Ordering::SeqCst);
            shared
                .workspaces
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .reload();
            shared.reconfigure();
        });
    }

    fn set_client_settings(self: &Arc<Self>, value: &Value) {
        match ClientSettings::from_value(value) {
            Ok(Some(settings)) => {
                let mut workspaces = self
                    .workspaces
                    .write()
                    .unwrap_or_else(PoisonError::into_inner);
                if *workspaces.client() == settings {
                    return;
                }
                workspaces.set_client(settings);
                drop(workspaces);
                self.reconfigure();
            }
            Ok(None) => {}
            Err(message) => self.show(
                MessageType::WARNING,
                format!("Proctor: ignoring invalid settings: {message}"),
            ),
        }
    }

    /// Asks the client for the `proctor` settings section, without holding up anything.
    fn pull_settings(self: &Arc<Self>) {
        if !self.session().configuration {
            return;
        }
        let shared = self.clone();
        self.runtime.spawn(async move {
            let items = vec![ConfigurationItem {
                scope_uri: None,
                section: Some("proctor".to_string()),
            }];
            if let Ok(values) = shared.client.configuration(items).await
                && let Some(value) = values.first()
            {
                shared.set_client_settings(value);
            }
        });
    }
}

pub fn internal_error(message: String) -> Error {
    Error {
        code: ErrorCode::InternalError,
        message: message.into(),
        data: None,
    }
}

/// The tower-lsp-server backend.
pub struct Backend {
    pub shared: Arc<Shared>,
}

impl Backend {
    pub fn new(client: Client, options: ServerOptions, outbox: Outbox) -> Self {
        Self {
            shared: Arc::new(Shared::new(client, options, outbox)),
        }
    }

    /// [`Self::analysis_of`], with the request's position as a byte offset.
    async fn analysis_at(
        &self,
        doc: &Arc<Doc>,
        snapshot: Snapshot,
        position: Position,
    ) -> Result<(Arc<Analysis>, usize, Session)> {
        let (analysis, session) = self.analysis_of(doc, snapshot).await?;
        let at = offset(&analysis.text, &analysis.lines, position, session.encoding);
        Ok((analysis, at, session))
    }

    /// The analysis a request about a document reads (a provisional one serves too: what
    /// reads the tree checks it matches the text), and the session. Dropping the request's
    /// future (`$/cancelRequest`) stops the analysis.
    async fn analysis_of(
        &self,
        doc: &Arc<Doc>,
        snapshot: Snapshot,
    ) -> Result<(Arc<Analysis>, Session)> {
        let cancelled = Arc::new(AtomicBool::new(false));
        let _guard = CancelOnDrop(cancelled.clone());
        let mode = self.shared.mode_for(&snapshot);
        let analysis = self
            .shared
            .analyze_for_request(doc.clone(), snapshot, mode, cancelled)
            .await?;
        Ok((analysis, self.shared.session()))
    }

    /// `textDocument/hover`, parked with its snapshot.
    pub async fn parked_hover(&self, params: ParkedParams) -> Result<Value> {
        let parked = self.shared.unpark(params.parked);
        let request: HoverParams = parse_params(params.params)?;
        if self.shared.options.fault == Some(Fault::PanicInHover) {
            panic!("injected panic in the hover handler");
        }
        let Some((doc, snapshot)) = parked else {
            return Ok(Value::Null);
        };
        let position = request.text_document_position_params.position;
        let (analysis, at, session) = self.analysis_at(&doc, snapshot, position).await?;
        let config = doc.config();
        let folder = self
            .shared
            .workspaces
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .folder_of(doc.path.as_deref())
            .root
            .clone();
        // A fixture's definition may be read from a `conftest.py`: off the async threads.
        let hover = tokio::task::spawn_blocking(move || {
            crate::hover::hover(&analysis, at, &session, &config, folder.as_deref())
        })
        .await
        .map_err(|e| internal_error(format!("hover failed: {e}")))?;
        serde_json::to_value(hover).map_err(|e| internal_error(e.to_string()))
    }

    /// `textDocument/definition`, parked with its snapshot: on a pytest fixture parameter,
    /// where the fixture is defined.
    pub async fn parked_definition(&self, params: ParkedParams) -> Result<Value> {
        let parked = self.shared.unpark(params.parked);
        let request: GotoDefinitionParams = parse_params(params.params)?;
        let Some((doc, snapshot)) = parked else {
            return Ok(Value::Null);
        };
        let position = request.text_document_position_params.position;
        let (analysis, at, session) = self.analysis_at(&doc, snapshot, position).await?;
        let config = doc.config();
        // The definition may be in a `conftest.py` read from disk: off the async threads.
        let location = tokio::task::spawn_blocking(move || {
            crate::hover::definition(&analysis, at, &session, &config)
        })
        .await
        .map_err(|e| internal_error(format!("go to definition failed: {e}")))?;
        serde_json::to_value(location.map(GotoDefinitionResponse::Scalar))
            .map_err(|e| internal_error(e.to_string()))
    }

    /// `textDocument/codeAction`, parked with its snapshot.
    pub async fn parked_code_action(&self, params: ParkedParams) -> Result<Value> {
        let parked = self.shared.unpark(params.parked);
        let request: CodeActionParams = parse_params(params.params)?;
        let Some((doc, snapshot)) = parked else {
            return Ok(Value::Null);
        };
        let (analysis, session) = self.analysis_of(&doc, snapshot).await?;
        let config = doc.config();
        let actions = tokio::task::spawn_blocking(move || {
            crate::actions::code_actions(&analysis, &config, &doc.uri, &request, &session)
        })
        .await
        .map_err(|e| internal_error(format!("code actions failed: {e}")))?;
        serde_json::to_value(actions).map_err(|e| internal_error(e.to_string()))
    }
}

fn parse_params<T: serde::de::DeserializeOwned>(value: Value) -> Result<T> {
    serde_json::from_value(value).map_err(|e| Error::invalid_params(e.to_string()))
}

fn folder_path(uri: &Uri) -> Option<PathBuf> {
    uri.to_file_path().map(|p| p.into_owned())
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let capabilities = &params.capabilities;
        let text = capabilities.text_document.as_ref();
        let workspace = capabilities.workspace.as_ref();
        let session = Session {
            encoding: Encoding::negotiate(
                capabilities
                    .general
                    .as_ref()
                    .and_then(|g| g.position_encodings.as_deref()),
            ),
            pull: text.is_some_and(|t| t.diagnostic.is_some()),
            refresh: workspace
                .and_then(|w| w.diagnostics.as_ref())
                .and_then(|d| d.refresh_support)
                .unwrap_or(false),
            document_changes: workspace
                .and_then(|w| w.workspace_edit.as_ref())
                .and_then(|e| e.document_changes)
                .unwrap_or(false),
            resolve_edit: text
                .and_then(|t| t.code_action.as_ref())
                .and_then(|c| c.resolve_support.as_ref())
                .is_some_and(|r| r.properties.iter().any(|p| p == "edit")),
            configuration: workspace.and_then(|w| w.configuration).unwrap_or(false),
            watch_registration: workspace
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|d| d.dynamic_registration)
                .unwrap_or(false),
            markdown: text
                .and_then(|t| t.hover.as_ref())
                .and_then(|h| h.content_format.as_ref())
                .is_none_or(|formats| formats.contains(&MarkupKind::Markdown)),
        };
        let client_settings = match &params.initialization_options {
            Some(value) => match ClientSettings::from_value(value) {
                Ok(settings) => settings.unwrap_or_default(),
                Err(message) => {
                    self.shared.show(
                        MessageType::WARNING,
                        format!("Proctor: ignoring invalid initialization options: {message}"),
                    );
                    ClientSettings::default()
                }
            },
            None => ClientSettings::default(),
        };
        #[allow(deprecated)]
        let roots: Vec<PathBuf> = match &params.workspace_folders {
            Some(folders) => folders.iter().filter_map(|f| folder_path(&f.uri)).collect(),
            None => params.root_uri.iter().filter_map(folder_path).collect(),
        };
        *self
            .shared
            .workspaces
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Workspaces::new(roots, client_settings);
        let pull = session.pull;
        let encoding = session.encoding;
        *self
            .shared
            .session
            .write()
            .unwrap_or_else(PoisonError::into_inner) = session;
        self.shared.initialized.store(true, Ordering::SeqCst);
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(encoding.kind()),
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                            include_text: Some(false),
                        })),
                        ..Default::default()
                    },
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                definition_provider: Some(OneOf::Left(true)),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![
                            CodeActionKind::QUICKFIX,
                            CodeActionKind::REFACTOR_REWRITE,
                            CodeActionKind::SOURCE_FIX_ALL,
                            crate::actions::FIX_ALL_KIND,
                        ]),
                        resolve_provider: Some(true),
                        ..Default::default()
                    },
                )),
                diagnostic_provider: pull.then(|| {
                    DiagnosticServerCapabilities::Options(DiagnosticOptions {
                        identifier: Some("proctor".to_string()),
                        inter_file_dependencies: true,
                        workspace_diagnostics: false,
                        ..Default::default()
                    })
                }),
                workspace: Some(WorkspaceServerCapabilities {
                    workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                        supported: Some(true),
                        change_notifications: Some(OneOf::Left(true)),
                    }),
                    file_operations: None,
                }),
                ..Default::default()
            },
            server_info: Some(ServerInfo {
                name: "proctor".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let shared = &self.shared;
        let queued = {
            let mut queued = lock(&shared.queued);
            shared.ready_for_messages.store(true, Ordering::SeqCst);
            std::mem::take(&mut *queued)
        };
        for (kind, message) in queued {
            shared.show(kind, message);
        }
        if shared.session().watch_registration {
            let client = shared.client.clone();
            shared.runtime.spawn(async move {
                let watchers: Vec<Value> = ["**/pyproject.toml", "**/proctor.toml", "**/*.py"]
                    .iter()
                    .map(|glob| json!({"globPattern": glob}))
                    .collect();
                let registration = Registration {
                    id: "proctor-watched-files".to_string(),
                    method: "workspace/didChangeWatchedFiles".to_string(),
                    register_options: Some(json!({ "watchers": watchers })),
                };
                if let Err(error) = client.register_capability(vec![registration]).await {
                    tracing::warn!("the client refused file watchers: {error}");
                }
            });
        }
        if lock_workspaces_client_is_default(shared) {
            shared.pull_settings();
        }
    }

    async fn shutdown(&self) -> Result<()> {
        self.shared.shut_down.store(true, Ordering::SeqCst);
        for doc in self.shared.docs.iter() {
            doc.closed.store(true, Ordering::SeqCst);
        }
        Ok(())
    }

    async fn code_action_resolve(&self, action: CodeAction) -> Result<CodeAction> {
        let shared = self.shared.clone();
        let session = shared.session();
        tokio::task::spawn_blocking(move || crate::actions::resolve(&shared.docs, action, &session))
            .await
            .map_err(|e| internal_error(format!("resolving the code action failed: {e}")))
    }
}

fn lock_workspaces_client_is_default(shared: &Shared) -> bool {
    *shared
        .workspaces
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .client()
        == ClientSettings::default()
}
