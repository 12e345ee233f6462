//! An in-process LSP client: talks to the server over in-memory pipes with real framing.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proctor_server::ServerOptions;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream, WriteHalf};
use tokio::sync::Notify;

pub const TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Inbox {
    responses: HashMap<i64, Value>,
    notifications: Vec<Value>,
    server_requests: Vec<Value>,
}

pub struct Client {
    writer: Arc<tokio::sync::Mutex<WriteHalf<DuplexStream>>>,
    inbox: Arc<Mutex<Inbox>>,
    arrived: Arc<Notify>,
    next_id: i64,
    /// Answers to `workspace/configuration`.
    pub configuration: Arc<Mutex<Value>>,
}

async fn write_message(writer: &tokio::sync::Mutex<WriteHalf<DuplexStream>>, message: &Value) {
    let body = serde_json::to_vec(message).unwrap();
    let mut writer = writer.lock().await;
    writer
        .write_all(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes())
        .await
        .unwrap();
    writer.write_all(&body).await.unwrap();
    writer.flush().await.unwrap();
}

/// Client capabilities: pull diagnostics or not, and the position encodings offered.
pub fn capabilities(pull: bool, encodings: &[&str]) -> Value {
    let mut text_document = json!({
        "synchronization": {"dynamicRegistration": false},
        "publishDiagnostics": {"versionSupport": true, "codeDescriptionSupport": true, "dataSupport": true},
        "codeAction": {
            "codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix", "refactor", "refactor.rewrite", "source", "source.fixAll"]}},
            "isPreferredSupport": true,
            "dataSupport": true,
        },
        "hover": {"contentFormat": ["markdown", "plaintext"]},
    });
    if pull {
        text_document["diagnostic"] = json!({"dynamicRegistration": false});
    }
    json!({
        "general": {"positionEncodings": encodings},
        "textDocument": text_document,
        "workspace": {
            "configuration": true,
            "workspaceFolders": true,
            "diagnostics": {"refreshSupport": true},
            "didChangeWatchedFiles": {"dynamicRegistration": true},
            "workspaceEdit": {"documentChanges": true},
        },
    })
}

impl Client {
    /// Starts a server and initializes it.
    pub async fn start(options: ServerOptions, init: Value) -> (Client, Value) {
        let (client_end, server_end) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server_end);
        tokio::spawn(proctor_server::serve(server_read, server_write, options));
        let (client_read, client_write) = tokio::io::split(client_end);
        let writer = Arc::new(tokio::sync::Mutex::new(client_write));
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let arrived = Arc::new(Notify::new());
        let configuration = Arc::new(Mutex::new(Value::Null));
        tokio::spawn(read_loop(
            BufReader::new(client_read),
            writer.clone(),
            inbox.clone(),
            arrived.clone(),
            configuration.clone(),
        ));
        let mut client = Client {
            writer,
            inbox,
            arrived,
            next_id: 0,
            configuration,
        };
        let result = client.request("initialize", init).await;
        client.notify("initialized", json!({})).await;
        (client, result)
    }

    /// Starts with a workspace folder, the given capabilities and initialization options.
    pub async fn with_folder(
        options: ServerOptions,
        folder: &Path,
        capabilities: Value,
        initialization_options: Value,
    ) -> (Client, Value) {
        let uri = file_uri(folder);
        Client::start(
            options,
            json!({
                "processId": null,
                "rootUri": uri,
                "workspaceFolders": [{"uri": uri, "name": "w"}],
                "capabilities": capabilities,
                "initializationOptions": initialization_options,
            }),
        )
        .await
    }

    pub async fn notify(&self, method: &str, params: Value) {
        write_message(
            &self.writer,
            &json!({"jsonrpc": "2.0", "method": method, "params": params}),
        )
        .await;
    }

    /// Sends a request without waiting; returns its id.
    pub async fn send(&mut self, method: &str, params: Value) -> i64 {
        self.next_id += 1;
        let id = self.next_id;
        write_message(
            &self.writer,
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        )
        .await;
        id
    }

    /// Sends raw bytes (malformed messages).
    pub async fn send_raw(&self, bytes: &[u8]) {
        let mut writer = self.writer.lock().await;
        writer.write_all(bytes).await.unwrap();
        writer.flush().await.unwrap();
    }

    /// The whole response message to request `id`.
    pub async fn response(&self, id: i64) -> Value {
        self.wait_for(|inbox| inbox.responses.remove(&id)).await
    }

    /// Sends a request and returns its `result` (panics on an error response).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send(method, params).await;
        let response = self.response(id).await;
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }

    /// Waits for a notification of `method` matching `test`, and removes it.
    pub async fn notification(&self, method: &str, test: impl Fn(&Value) -> bool) -> Value {
        self.wait_for(|inbox| {
            let index = inbox
                .notifications
                .iter()
                .position(|n| n["method"] == method && test(&n["params"]))?;
            Some(inbox.notifications.remove(index)["params"].clone())
        })
        .await
    }

    /// Notifications of `method` received so far (not removed).
    pub fn notifications(&self, method: &str) -> Vec<Value> {
        self.inbox
            .lock()
            .unwrap()
            .notifications
            .iter()
            .filter(|n| n["method"] == method)
            .map(|n| n["params"].clone())
            .collect()
    }

    /// Waits for a server-to-client request of `method`; returns it (removed).
    pub async fn server_request(&self, method: &str) -> Value {
        self.wait_for(|inbox| {
            let index = inbox
                .server_requests
                .iter()
                .position(|r| r["method"] == method)?;
            Some(inbox.server_requests.remove(index))
        })
        .await
    }

    async fn wait_for<T>(&self, mut take: impl FnMut(&mut Inbox) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let notified = self.arrived.notified();
            if let Some(found) = take(&mut self.inbox.lock().unwrap()) {
                return found;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("timed out waiting for a message from the server");
            }
        }
    }

    pub async fn open(&self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}),
        )
        .await;
    }

    pub async fn change(&self, uri: &str, version: i32, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        )
        .await;
    }

    /// Pulls diagnostics; returns the items.
    pub async fn pull(&mut self, uri: &str) -> Vec<Value> {
        let report = self
            .request(
                "textDocument/diagnostic",
                json!({"textDocument": {"uri": uri}}),
            )
            .await;
        assert_eq!(report["kind"], "full", "{report}");
        report["items"].as_array().cloned().unwrap_or_default()
    }

    pub async fn shutdown(mut self) {
        self.request("shutdown", Value::Null).await;
        self.notify("exit", Value::Null).await;
    }
}

async fn read_loop(
    mut reader: BufReader<tokio::io::ReadHalf<DuplexStream>>,
    writer: Arc<tokio::sync::Mutex<WriteHalf<DuplexStream>>>,
    inbox: Arc<Mutex<Inbox>>,
    arrived: Arc<Notify>,
    configuration: Arc<Mutex<Value>>,
) {
    loop {
        let mut length = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length:") {
                length = value.trim().parse::<usize>().ok();
            }
        }
        let mut body = vec![0; length.expect("a Content-Length header")];
        reader.read_exact(&mut body).await.unwrap();
        let message: Value = serde_json::from_slice(&body).unwrap();
        let has_id = message.get("id").is_some_and(|id| !id.is_null());
        if has_id && message.get("method").is_some() {
            // A server-to-client request: answer at once, and keep it for the test.
            let result = match message["method"].as_str() {
                Some("workspace/configuration") => {
                    let count = message["params"]["items"].as_array().map_or(1, Vec::len);
                    let value = configuration.lock().unwrap().clone();
                    Value::Array(vec![value; count])
                }
                _ => Value::Null,
            };
            write_message(
                &writer,
                &json!({"jsonrpc": "2.0", "id": message["id"], "result": result}),
            )
            .await;
            inbox.lock().unwrap().server_requests.push(message);
        } else if has_id {
            let id = message["id"].as_i64().unwrap_or(-1);
            inbox.lock().unwrap().responses.insert(id, message);
        } else if message.get("method").is_some() {
            inbox.lock().unwrap().notifications.push(message);
        } else {
            // A response with a null id (to a message the server could not parse).
            inbox.lock().unwrap().responses.insert(-1, message);
        }
        arrived.notify_waiters();
    }
}

pub fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// A scratch directory, removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let path =
            std::env::temp_dir().join(format!("proctor-lsp-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn write(&self, relative: &str, text: &str) -> std::path::PathBuf {
        let path = self.0.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Options with a budget no parse exhausts: every answer is exact.
pub fn exact_options() -> ServerOptions {
    ServerOptions {
        parse_budget: Duration::from_secs(600),
        ..ServerOptions::default()
    }
}
