//! Proctor's language server: inline findings, quick fixes and hover docs in any editor.
//!
//! Layers, outside in:
//!
//! - [`dispatch`]: a tower layer in front of tower-lsp-server's service. It applies document
//!   changes in wire order at dispatch and gives document requests the snapshot they arrived
//!   at; see there for why.
//! - [`server`]: the session (negotiated encoding, pull or push diagnostics), the open
//!   documents, workspace folders and configuration, and the handlers.
//! - [`analysis`]: per document, incremental parsing, the unit cache, and the parse budget
//!   with its fallback for tree-sitter's slow reparses on huge files.
//! - [`actions`], [`hover`], [`convert`], [`position`]: LSP shapes of the linter's results.
//! - [`replay`]: edits replayed as a client sends them, compared with a fresh parse (for the
//!   property test and the fuzz target).
//!
//! [`run_stdio`] is what `proctor server` runs.

pub mod actions;
pub mod analysis;
pub mod config;
pub mod convert;
pub mod dispatch;
pub mod document;
pub mod framing;
pub mod hover;
pub mod position;
pub mod replay;
pub mod server;

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tower_lsp_server::{ClientSocket, LspService, Server};

pub use dispatch::Dispatcher;
pub use server::{Fault, ServerOptions};

/// Builds the service and the socket for server-to-client messages (for in-process use);
/// frames the server serializes itself go to `outbox`. Must be called inside a tokio runtime.
pub fn service(options: ServerOptions, outbox: framing::Outbox) -> (Dispatcher, ClientSocket) {
    let (inner, socket) = LspService::build(|client| server::Backend::new(client, options, outbox))
        .custom_method(dispatch::PARKED_HOVER, server::Backend::parked_hover)
        .custom_method(
            dispatch::PARKED_CODE_ACTION,
            server::Backend::parked_code_action,
        )
        .custom_method(
            dispatch::PARKED_DEFINITION,
            server::Backend::parked_definition,
        )
        .finish();
    (Dispatcher::new(inner), socket)
}

/// Serves the protocol over a pair of streams until the client says `exit`.
pub async fn serve<I, O>(input: I, output: O, options: ServerOptions)
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin,
{
    let (outbox, frames) = tokio::sync::mpsc::unbounded_channel();
    let (service, socket) = service(options, outbox.clone());
    // In: the framing guard, so that a malformed message cannot end the server.
    let (guarded_write, guarded_read) = tokio::io::duplex(1 << 16);
    let guard = framing::guard(input, guarded_write);
    // Out: tower-lsp-server's frames and the server's own, one whole frame at a time.
    let (server_write, server_read) = tokio::io::duplex(1 << 20);
    let mux = framing::mux(server_read, outbox, frames, output);
    let server = Server::new(guarded_read, server_write, socket).serve(service);
    let run = async {
        tokio::pin!(guard, server);
        tokio::select! {
            () = &mut server => {}
            // The input ended: the server sees the end of its stream and stops.
            () = &mut guard => server.await,
        }
    };
    tokio::join!(run, mux);
}

/// Runs the language server on stdin/stdout; returns when the client exits.
///
/// Logs go to stderr, filtered by `PROCTOR_LOG` (e.g. `PROCTOR_LOG=debug`; default: warnings).
pub fn run_stdio() -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PROCTOR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(serve(
        tokio::io::stdin(),
        tokio::io::stdout(),
        ServerOptions::default(),
    ));
    // A background parse of a huge file may still be running: do not wait for it.
    runtime.shutdown_timeout(Duration::from_millis(100));
    Ok(())
}
