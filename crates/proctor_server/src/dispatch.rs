//! The outer tower layer: document changes applied in wire order, requests given the
//! snapshot they arrived at, panics turned into errors.
//!
//! tower-lsp-server's transport calls [`Service::call`] once per incoming message, in the order
//! the messages arrive, and then runs up to four handler futures concurrently. A handler that
//! applied a `didChange` after an `.await` could therefore apply it after a later one, or after
//! a request that should have seen it. This layer applies `didOpen`, `didChange`, `didClose`
//! and `didSave`, and the workspace notifications that change configuration
//! (`didChangeConfiguration`, `didChangeWatchedFiles`, `didChangeWorkspaceFolders`),
//! synchronously inside `call` — before the next message is even read — and never hands them
//! to a handler. For the requests that read a document (diagnostics, hover, go to
//! definition, code actions) it takes the document's snapshot inside `call` too, parks it under a ticket, and
//! rewrites the request into an internal method carrying the ticket, so the handler works on
//! the text as it was when the request arrived, however late it runs. Every future is wrapped
//! so that a panic becomes an error response for that request instead of taking the server
//! down.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use futures::FutureExt;
use futures::future::{self, BoxFuture};
use serde_json::{Value, json};
use tower_lsp_server::jsonrpc::{ErrorCode, Id, Request, Response};
use tower_lsp_server::ls_types::MessageType;
use tower_lsp_server::{ExitedError, LspService};
use tower_service::Service;

use crate::analysis::panic_message;
use crate::server::{Backend, Shared, internal_error};

/// The internal methods parked requests are rewritten to.
pub const PARKED_HOVER: &str = "proctor/parked/hover";
pub const PARKED_CODE_ACTION: &str = "proctor/parked/codeAction";
pub const PARKED_DEFINITION: &str = "proctor/parked/definition";

/// The language server as a tower service: [`LspService`] behind the ordering layer.
pub struct Dispatcher {
    inner: LspService<Backend>,
    shared: Arc<Shared>,
}

impl Dispatcher {
    pub fn new(inner: LspService<Backend>) -> Self {
        let shared = inner.inner().shared.clone();
        Self { inner, shared }
    }

    /// Applies a document notification now. Malformed ones are logged and dropped.
    fn apply_now(&self, method: &str, params: Option<Value>) {
        let shared = &self.shared;
        if !shared.initialized_for_documents() {
            return;
        }
        let params = params.unwrap_or(Value::Null);
        let result = catch_unwind(AssertUnwindSafe(|| match method {
            "textDocument/didOpen" => match serde_json::from_value(params) {
                Ok(p) => shared.open(p),
                Err(e) => tracing::warn!("ignoring a malformed didOpen: {e}"),
            },
            "textDocument/didChange" => match serde_json::from_value(params) {
                Ok(p) => shared.change(p),
                Err(e) => tracing::warn!("ignoring a malformed didChange: {e}"),
            },
            "textDocument/didClose" => match serde_json::from_value(params) {
                Ok(p) => shared.close(p),
                Err(e) => tracing::warn!("ignoring a malformed didClose: {e}"),
            },
            "textDocument/didSave" => match serde_json::from_value(params) {
                Ok(p) => shared.saved(p),
                Err(e) => tracing::warn!("ignoring a malformed didSave: {e}"),
            },
            "workspace/didChangeConfiguration" => match serde_json::from_value(params) {
                Ok(p) => shared.configuration_changed(p),
                Err(e) => tracing::warn!("ignoring a malformed didChangeConfiguration: {e}"),
            },
            "workspace/didChangeWatchedFiles" => match serde_json::from_value(params) {
                Ok(p) => shared.watched_files_changed(p),
                Err(e) => tracing::warn!("ignoring a malformed didChangeWatchedFiles: {e}"),
            },
            "workspace/didChangeWorkspaceFolders" => match serde_json::from_value(params) {
                Ok(p) => shared.folders_changed(p),
                Err(e) => tracing::warn!("ignoring a malformed didChangeWorkspaceFolders: {e}"),
            },
            _ => {}
        }));
        if let Err(payload) = result {
            shared.log(
                MessageType::ERROR,
                format!(
                    "Proctor: applying {method} panicked: {}",
                    panic_message(payload.as_ref())
                ),
            );
        }
    }

    /// Parks a document request with its snapshot and rewrites it to the internal method.
    fn park(&self, request: Request, internal: &'static str) -> Request {
        let (_, id, params) = request.into_parts();
        let params = params.unwrap_or(Value::Null);
        let uri = params
            .get("textDocument")
            .and_then(|d| d.get("uri"))
            .and_then(Value::as_str);
        let ticket = self.shared.park(uri);
        let builder = Request::build(internal).params(json!({
            "parked": ticket,
            "params": params,
        }));
        match id {
            Some(id) => builder.id(id).finish(),
            None => builder.finish(),
        }
    }
}

impl Service<Request> for Dispatcher {
    type Response = Option<Response>;
    type Error = ExitedError;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let method = request.method();
        let request = match method {
            "textDocument/didOpen"
            | "textDocument/didChange"
            | "textDocument/didClose"
            | "textDocument/didSave"
            | "workspace/didChangeConfiguration"
            | "workspace/didChangeWatchedFiles"
            | "workspace/didChangeWorkspaceFolders" => {
                let method = method.to_string();
                let (_, _, params) = request.into_parts();
                self.apply_now(&method, params);
                return future::ok(None).boxed();
            }
            "textDocument/diagnostic" if self.shared.initialized_for_documents() => {
                let (_, id, params) = request.into_parts();
                if let Some(id) = id {
                    let params = params.unwrap_or(Value::Null);
                    let doc = self.shared.snapshot_of(
                        params
                            .get("textDocument")
                            .and_then(|d| d.get("uri"))
                            .and_then(Value::as_str),
                    );
                    self.shared.pull(id, params, doc);
                }
                return future::ok(None).boxed();
            }
            "$/cancelRequest" => {
                if let Some(id) = request
                    .params()
                    .and_then(|p| p.get("id"))
                    .and_then(|id| serde_json::from_value::<Id>(id.clone()).ok())
                {
                    self.shared.cancel_direct(&id);
                }
                request
            }
            "textDocument/hover" => self.park(request, PARKED_HOVER),
            "textDocument/codeAction" => self.park(request, PARKED_CODE_ACTION),
            "textDocument/definition" => self.park(request, PARKED_DEFINITION),
            crate::framing::MALFORMED => {
                let (_, _, params) = request.into_parts();
                return future::ok(Some(malformed_response(params.unwrap_or(Value::Null)))).boxed();
            }
            // The internal methods are only reachable through parking.
            PARKED_HOVER | PARKED_CODE_ACTION | PARKED_DEFINITION => {
                let (_, id, _) = request.into_parts();
                return future::ok(id.map(|id| {
                    Response::from_error(id, tower_lsp_server::jsonrpc::Error::method_not_found())
                }))
                .boxed();
            }
            _ => request,
        };
        let id = request.id().cloned();
        let shared = self.shared.clone();
        let future = catch_unwind(AssertUnwindSafe(|| self.inner.call(request)));
        async move {
            let result = match future {
                Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
                Err(payload) => Err(payload),
            };
            match result {
                Ok(response) => response,
                Err(payload) => {
                    let message = panic_message(payload.as_ref());
                    shared.log(
                        MessageType::ERROR,
                        format!("Proctor: a request handler panicked: {message}"),
                    );
                    Ok(id.map(|id| Response::from_error(id, internal_error(message))))
                }
            }
        }
        .boxed()
    }
}

/// The error response to a message the framing guard found malformed.
fn malformed_response(params: Value) -> Response {
    let id = match &params["id"] {
        Value::Number(n) => n.as_i64().map_or(Id::Null, Id::Number),
        Value::String(s) => Id::String(s.clone()),
        _ => Id::Null,
    };
    let code = match params["code"].as_i64() {
        Some(-32700) => ErrorCode::ParseError,
        _ => ErrorCode::InvalidRequest,
    };
    let message = params["message"]
        .as_str()
        .unwrap_or("malformed message")
        .to_string();
    Response::from_error(
        id,
        tower_lsp_server::jsonrpc::Error {
            code,
            message: message.into(),
            data: None,
        },
    )
}

impl Shared {
    /// Document notifications count once the client is initialized and until shutdown.
    fn initialized_for_documents(&self) -> bool {
        self.initialized.load(Ordering::SeqCst) && !self.shut_down.load(Ordering::SeqCst)
    }
}
