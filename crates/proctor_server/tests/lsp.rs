//! The language server end to end, in process, over framed pipes.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Client, TempDir, capabilities, exact_options, file_uri};
use proctor_linter::{LineIndex, Settings, Workspace};
use proctor_server::position::{Encoding, range};
use proctor_server::{Fault, ServerOptions};
use serde_json::{Value, json};

const TEST_FILE: &str = "import time\n\n\nclass TestThing:\n    def setUp(self):\n        self.x = 1\n\n    def test_one(self):\n        time.sleep(1)\n\n    def test_two(self):\n        \"\"\"Doc.\"\"\"\n        pass\n\n\ndef helper():\n    return 1\n";

/// The settings of most tests: TQ101 alone, so that rules added later do not change them.
fn only_tq101() -> Settings {
    let mut settings = Settings::default();
    settings
        .apply(&proctor_linter::settings::Selection {
            select: Some(vec!["TQ101".into()]),
            ..Default::default()
        })
        .unwrap();
    settings
}

/// What a fresh check with TQ101 alone says about a text: `(range, code, message)`.
fn expected(text: &str, path: &Path, encoding: Encoding) -> Vec<Value> {
    expected_with(&only_tq101(), text, path, encoding)
}

fn expected_with(settings: &Settings, text: &str, path: &Path, encoding: Encoding) -> Vec<Value> {
    let output = proctor_linter::check_source(text, Some(path), settings, &Workspace::empty());
    let lines = LineIndex::new(text);
    output
        .diagnostics
        .iter()
        .map(|d| {
            json!({
                "range": range(text, &lines, d.range, encoding),
                "code": d.rule.code(),
                "message": d.message,
            })
        })
        .collect()
}

/// The comparable part of the server's diagnostics.
fn essentials(items: &[Value]) -> Vec<Value> {
    items
        .iter()
        .map(|d| json!({"range": d["range"], "code": d["code"], "message": d["message"]}))
        .collect()
}

fn position(line: u32, character: u32) -> Value {
    json!({"line": line, "character": character})
}

fn insert_at(line: u32, character: u32, text: &str) -> Value {
    json!([{"range": {"start": position(line, character), "end": position(line, character)}, "text": text}])
}

/// The editor settings of most tests: TQ101 alone.
fn select_tq101() -> Value {
    json!({"select": ["TQ101"]})
}

/// A client pulling diagnostics, with TQ101 selected.
async fn pull_client(dir: &TempDir, options: ServerOptions) -> Client {
    let (client, _) = Client::with_folder(
        options,
        &dir.0,
        capabilities(true, &["utf-8", "utf-16"]),
        select_tq101(),
    )
    .await;
    client
}

/// A client pulling diagnostics, without editor settings.
async fn plain_client(dir: &TempDir) -> Client {
    let (client, _) = Client::with_folder(
        exact_options(),
        &dir.0,
        capabilities(true, &["utf-8", "utf-16"]),
        Value::Null,
    )
    .await;
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_diagnostics_carry_code_source_docs_and_data() {
    let dir = TempDir::new("pull");
    let (mut client, init) = Client::with_folder(
        exact_options(),
        &dir.0,
        capabilities(true, &["utf-16", "utf-8"]),
        select_tq101(),
    )
    .await;
    let caps = &init["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-8");
    assert!(caps["diagnosticProvider"].is_object());
    assert_eq!(caps["textDocumentSync"]["change"], 2);
    let path = dir.0.join("tests/test_thing.py");
    let uri = file_uri(&path);
    client.open(&uri, TEST_FILE).await;
    let items = client.pull(&uri).await;
    assert_eq!(
        essentials(&items),
        expected(TEST_FILE, &path, Encoding::Utf8)
    );
    let d = &items[0];
    assert_eq!(d["code"], "TQ101");
    assert_eq!(d["source"], "proctor");
    assert_eq!(d["severity"], 3);
    assert_eq!(d["range"]["start"], position(7, 8));
    assert_eq!(d["data"]["category"], "docs");
    assert_eq!(d["data"]["name"], "missing-test-docstring");
    assert!(
        d["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/docs/rules/TQ101.md"),
        "{d}"
    );
    // Asking again with the last result id: unchanged.
    let report = client
        .request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    let again = client
        .request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri}, "previousResultId": report["resultId"]}),
        )
        .await;
    assert_eq!(again["kind"], "unchanged");
    // Files that are not test files get nothing.
    let other = file_uri(&dir.0.join("src/thing.py"));
    client.open(&other, TEST_FILE).await;
    assert!(client.pull(&other).await.is_empty());
    // A document that is not open: an empty report.
    let closed = file_uri(&dir.0.join("tests/test_closed.py"));
    assert!(client.pull(&closed).await.is_empty());
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_diagnostics_carry_the_version() {
    let dir = TempDir::new("push");
    let (client, init) = Client::with_folder(
        exact_options(),
        &dir.0,
        capabilities(false, &["utf-16"]),
        select_tq101(),
    )
    .await;
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    assert!(init["capabilities"].get("diagnosticProvider").is_none());
    let path = dir.0.join("test_push.py");
    let uri = file_uri(&path);
    client.open(&uri, TEST_FILE).await;
    let first = client
        .notification("textDocument/publishDiagnostics", |p| p["version"] == 1)
        .await;
    assert_eq!(first["uri"], uri.as_str());
    assert_eq!(first["diagnostics"].as_array().unwrap().len(), 1);
    // Add a docstring to test_one: no findings left.
    client
        .change(&uri, 2, insert_at(8, 8, "\"\"\"Sleeps.\"\"\"\n        "))
        .await;
    let second = client
        .notification("textDocument/publishDiagnostics", |p| p["version"] == 2)
        .await;
    assert_eq!(second["diagnostics"], json!([]));
    // Closing clears them.
    client
        .notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    client
        .notification("textDocument/publishDiagnostics", |p| {
            p.get("version").is_none_or(Value::is_null) && p["diagnostics"] == json!([])
        })
        .await;
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn utf16_positions_with_non_ascii_crlf_and_lone_cr() {
    let dir = TempDir::new("utf16");
    let (mut client, _) = Client::with_folder(
        exact_options(),
        &dir.0,
        capabilities(true, &["utf-16"]),
        select_tq101(),
    )
    .await;
    let path = dir.0.join("tests/test_text.py");
    let uri = file_uri(&path);
    let mut text = String::from(
        "# 🙂 é\r\nclass TestA:\r\n    def test_é(self):\r\n        x = '🙂'\r\n    def test_b(self):\r\n        \"\"\"Doc\rmore.\"\"\"\r\n    def test_c(self): pass\r\n",
    );
    client.open(&uri, &text).await;
    assert_eq!(
        essentials(&client.pull(&uri).await),
        expected(&text, &path, Encoding::Utf16)
    );
    // After the `é` of the name (UTF-16 column 14): the name grows.
    client.change(&uri, 2, insert_at(2, 14, "Z")).await;
    text = text.replace("test_é(", "test_éZ(");
    // After the emoji (a surrogate pair: columns 13 and 14).
    client.change(&uri, 3, insert_at(3, 15, "é")).await;
    text = text.replace("'🙂'", "'🙂é'");
    // A name on a line after a lone CR (inside the docstring).
    client.change(&uri, 4, insert_at(7, 14, "ß")).await;
    text = text.replace("test_c(", "test_cß(");
    let items = client.pull(&uri).await;
    assert_eq!(essentials(&items), expected(&text, &path, Encoding::Utf16));
    assert_eq!(items.len(), 2);
    assert!(items[0]["message"].as_str().unwrap().contains("`test_éZ`"));
    assert!(items[1]["message"].as_str().unwrap().contains("`test_cß`"));
    assert_eq!(items[1]["range"]["start"], position(7, 8));
    // A multi-line deletion across line breaks.
    client
        .change(
            &uri,
            5,
            json!([{"range": {"start": position(2, 4), "end": position(4, 4)}, "text": ""}]),
        )
        .await;
    text = "# 🙂 é\r\nclass TestA:\r\n    def test_b(self):\r\n        \"\"\"Doc\rmore.\"\"\"\r\n    def test_cß(self): pass\r\n".to_string();
    assert_eq!(
        essentials(&client.pull(&uri).await),
        expected(&text, &path, Encoding::Utf16)
    );
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_range_and_stale_changes_never_break_the_document() {
    let dir = TempDir::new("clamp");
    let mut client = pull_client(&dir, exact_options()).await;
    let path = dir.0.join("tests/test_clamp.py");
    let uri = file_uri(&path);
    client.open(&uri, "def test_a():\n    pass\n").await;
    // Past the end of the text: appended.
    client
        .change(
            &uri,
            2,
            json!([{"range": {"start": position(99, 5), "end": position(120, 0)}, "text": "def test_b():\n    pass\n"}]),
        )
        .await;
    // Past the end of a line: at the line's end.
    client.change(&uri, 3, insert_at(0, 999, "  # c")).await;
    // A reversed range is put in order.
    client
        .change(
            &uri,
            4,
            json!([{"range": {"start": position(0, 9), "end": position(0, 8)}, "text": "X"}]),
        )
        .await;
    // A stale version is ignored.
    client.change(&uri, 4, insert_at(0, 0, "garbage ")).await;
    client.change(&uri, 1, insert_at(0, 0, "garbage ")).await;
    // Changes to a document that is not open are ignored.
    let unopened = file_uri(&dir.0.join("tests/test_unopened.py"));
    client.change(&unopened, 2, insert_at(0, 0, "x")).await;
    let text = "def testXa():  # c\n    pass\ndef test_b():\n    pass\n";
    assert_eq!(
        essentials(&client.pull(&uri).await),
        expected(text, &path, Encoding::Utf8)
    );
    assert!(client.pull(&unopened).await.is_empty());
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_document_replacement_reparses_from_scratch() {
    let dir = TempDir::new("replace");
    let mut client = pull_client(&dir, exact_options()).await;
    let path = dir.0.join("tests/test_replace.py");
    let uri = file_uri(&path);
    client.open(&uri, TEST_FILE).await;
    client.pull(&uri).await;
    let replacement = "def test_new():\n    pass\n";
    client
        .change(
            &uri,
            2,
            json!([{"text": "ignored"}, {"text": replacement}, {"range": {"start": position(2, 0), "end": position(2, 0)}, "text": "def test_more():\n    pass\n"}]),
        )
        .await;
    let text = format!("{replacement}def test_more():\n    pass\n");
    assert_eq!(
        essentials(&client.pull(&uri).await),
        expected(&text, &path, Encoding::Utf8)
    );
    client.shutdown().await;
}

fn action<'a>(actions: &'a [Value], title: &str) -> &'a Value {
    actions
        .iter()
        .find(|a| a["title"] == title)
        .unwrap_or_else(|| panic!("no action {title:?} in {actions:#?}"))
}

/// Applies the single-document edit of a code action to a text.
fn apply(text: &str, action: &Value) -> String {
    let changes = &action["edit"]["documentChanges"][0];
    let mut edits: Vec<&Value> = changes["edits"].as_array().unwrap().iter().collect();
    let lines = LineIndex::new(text);
    let offset = |p: &Value| {
        proctor_server::position::offset(
            text,
            &lines,
            serde_json::from_value(p.clone()).unwrap(),
            Encoding::Utf8,
        )
    };
    edits.sort_by_key(|e| std::cmp::Reverse(offset(&e["range"]["start"])));
    let mut out = text.to_string();
    for edit in edits {
        let (start, end) = (
            offset(&edit["range"]["start"]),
            offset(&edit["range"]["end"]),
        );
        out.replace_range(start..end, edit["newText"].as_str().unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_actions_fix_suppress_fix_all_and_assist() {
    let dir = TempDir::new("actions");
    let mut client = pull_client(&dir, exact_options()).await;
    let path = dir.0.join("tests/test_actions.py");
    let uri = file_uri(&path);
    client.open(&uri, TEST_FILE).await;
    let items = client.pull(&uri).await;
    let diagnostic = items[0].clone();
    let on_test_one = json!({
        "textDocument": {"uri": uri},
        "range": diagnostic["range"],
        "context": {"diagnostics": [diagnostic]},
    });
    let actions = client
        .request("textDocument/codeAction", on_test_one.clone())
        .await;
    let actions = actions.as_array().unwrap().clone();
    let fix = action(&actions, "Add docstring stub");
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], true);
    assert_eq!(fix["diagnostics"][0]["code"], "TQ101");
    assert_eq!(
        fix["edit"]["documentChanges"][0]["textDocument"]["version"],
        1
    );
    assert!(apply(TEST_FILE, fix).contains("    def test_one(self):\n        \"\"\"One.\"\"\"\n"));
    // The assist is not offered a second time for the same def.
    assert_eq!(
        actions
            .iter()
            .filter(|a| a["title"] == "Add docstring stub")
            .count(),
        1
    );
    let suppress = action(&actions, "Suppress TQ101 on this line");
    assert_eq!(suppress["kind"], "quickfix");
    let suppressed = apply(TEST_FILE, suppress);
    assert!(suppressed.contains("    def test_one(self):  # noqa: TQ101\n"));
    assert!(expected(&suppressed, &path, Encoding::Utf8).is_empty());
    let fix_all = action(&actions, "Proctor: fix all safe findings");
    assert_eq!(fix_all["kind"], "source.fixAll.proctor");
    assert!(expected(&apply(TEST_FILE, fix_all), &path, Encoding::Utf8).is_empty());
    // An existing noqa list is extended.
    client
        .change(&uri, 2, insert_at(7, 23, "  # noqa: TQ999"))
        .await;
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": diagnostic["range"], "context": {"diagnostics": [], "only": ["quickfix"]}}),
        )
        .await;
    let actions = actions.as_array().unwrap().clone();
    let suppress = action(&actions, "Suppress TQ101 on this line");
    let text_v2 = TEST_FILE.replace("def test_one(self):", "def test_one(self):  # noqa: TQ999");
    assert!(apply(&text_v2, suppress).contains("# noqa: TQ999, TQ101\n"));
    assert!(
        actions.iter().all(|a| a["kind"] == "quickfix"),
        "only quickfixes were asked for"
    );
    // fixAll on request, by kind.
    let only_fix_all = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": position(0, 0), "end": position(0, 0)}, "context": {"diagnostics": [], "only": ["source.fixAll"]}}),
        )
        .await;
    assert_eq!(only_fix_all.as_array().unwrap().len(), 1);
    assert_eq!(only_fix_all[0]["kind"], "source.fixAll.proctor");
    // The assist on a def with no finding (a helper, a class): a refactor.
    for (line, name) in [(15, "def helper"), (3, "class TestThing")] {
        let actions = client
            .request(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": uri}, "range": {"start": position(line, 2), "end": position(line, 2)}, "context": {"diagnostics": []}}),
            )
            .await;
        let actions = actions.as_array().unwrap().clone();
        let assist = action(&actions, "Add docstring stub");
        assert_eq!(assist["kind"], "refactor.rewrite", "{name}");
        assert!(apply(&text_v2, assist).contains("\"\"\""), "{name}");
    }
    // Not on a def with a docstring, nor inside a body.
    for line in [10, 12] {
        let actions = client
            .request(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": uri}, "range": {"start": position(line, 6), "end": position(line, 6)}, "context": {"diagnostics": []}}),
            )
            .await;
        assert!(
            actions
                .as_array()
                .unwrap()
                .iter()
                .all(|a| a["title"] != "Add docstring stub"),
            "line {line}: {actions}"
        );
    }
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_shows_rule_docs_and_mandated_names() {
    let dir = TempDir::new("hover");
    let mut client = pull_client(&dir, exact_options()).await;
    let uri = file_uri(&dir.0.join("tests/test_hover.py"));
    client.open(&uri, TEST_FILE).await;
    let hover = |line, character| json!({"textDocument": {"uri": uri}, "position": position(line, character)});
    let on_flag = client.request("textDocument/hover", hover(7, 10)).await;
    assert_eq!(on_flag["contents"]["kind"], "markdown");
    assert!(
        on_flag["contents"]["value"]
            .as_str()
            .unwrap()
            .starts_with("**TQ101 missing-test-docstring**"),
        "{on_flag}"
    );
    assert_eq!(on_flag["range"]["start"], position(7, 8));
    let on_setup = client.request("textDocument/hover", hover(4, 10)).await;
    let value = on_setup["contents"]["value"].as_str().unwrap();
    assert!(
        value.contains("`setUp`") && value.contains("exempt"),
        "{value}"
    );
    let nothing = client.request("textDocument/hover", hover(16, 6)).await;
    assert!(nothing.is_null(), "{nothing}");
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_files_reload_when_they_change() {
    let dir = TempDir::new("reload");
    let config = dir.write(
        "pyproject.toml",
        "[tool.proctor]\nselect = [\"TQ101\"]\nignore = [\"TQ101\"]\n",
    );
    let mut client = plain_client(&dir).await;
    let registration = client.server_request("client/registerCapability").await;
    let watchers =
        registration["params"]["registrations"][0]["registerOptions"]["watchers"].to_string();
    assert!(watchers.contains("pyproject.toml") && watchers.contains("proctor.toml"));
    let uri = file_uri(&dir.0.join("tests/test_reload.py"));
    client.open(&uri, TEST_FILE).await;
    assert!(client.pull(&uri).await.is_empty());
    std::fs::write(&config, "[tool.proctor]\nselect = [\"TQ101\"]\n").unwrap();
    client
        .notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": [{"uri": file_uri(&config), "type": 2}]}),
        )
        .await;
    // A pull right behind the notification sees its effect (applied in wire order)...
    assert_eq!(client.pull(&uri).await.len(), 1);
    // ...and clients that can be asked to pull again are asked.
    client.server_request("workspace/diagnostic/refresh").await;
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_configuration_warns_and_defaults_apply() {
    let dir = TempDir::new("badconfig");
    let config = dir.write("proctor.toml", "slect = [\"TQ1\"]\n");
    let mut client = plain_client(&dir).await;
    let uri = file_uri(&dir.0.join("tests/test_bad.py"));
    client.open(&uri, TEST_FILE).await;
    let message = client.notification("window/showMessage", |_| true).await;
    assert_eq!(message["type"], 2, "a warning");
    let text = message["message"].as_str().unwrap();
    assert!(text.contains(&config.display().to_string()), "{text}");
    assert!(text.contains("slect"), "{text}");
    let path = dir.0.join("tests/test_bad.py");
    assert_eq!(
        essentials(&client.pull(&uri).await),
        expected_with(&Settings::default(), TEST_FILE, &path, Encoding::Utf8),
        "the defaults apply"
    );
    // Still serving.
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": position(7, 10)}),
        )
        .await;
    assert!(hover.is_object());
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editor_settings_apply_on_top_of_files() {
    let dir = TempDir::new("settings");
    let (mut client, _) = Client::with_folder(
        exact_options(),
        &dir.0,
        capabilities(true, &["utf-8"]),
        json!({"proctor": {"select": ["TQ101"], "ignore": ["TQ101"]}}),
    )
    .await;
    let uri = file_uri(&dir.0.join("tests/test_settings.py"));
    client.open(&uri, TEST_FILE).await;
    assert!(client.pull(&uri).await.is_empty());
    client
        .notify(
            "workspace/didChangeConfiguration",
            json!({"settings": {"select": ["TQ101"], "ignore": []}}),
        )
        .await;
    client.server_request("workspace/diagnostic/refresh").await;
    assert_eq!(client.pull(&uri).await.len(), 1);
    // Settings pulled with workspace/configuration when the notification carries none.
    *client.configuration.lock().unwrap() =
        json!({"select": ["TQ101"], "extendSelect": [], "ignore": ["docs"]});
    client
        .notify(
            "workspace/didChangeConfiguration",
            json!({"settings": null}),
        )
        .await;
    client.server_request("workspace/diagnostic/refresh").await;
    assert!(client.pull(&uri).await.is_empty());
    // Invalid settings: a warning, the old ones stay.
    client
        .notify(
            "workspace/didChangeConfiguration",
            json!({"settings": {"proctor": {"select": ["TQ999"]}}}),
        )
        .await;
    let warning = client.notification("window/showMessage", |_| true).await;
    assert!(warning["message"].as_str().unwrap().contains("TQ999"));
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_fail_the_request_and_the_server_keeps_serving() {
    let dir = TempDir::new("panic");
    for fault in [Fault::PanicInHover, Fault::PanicInAnalysis] {
        let options = ServerOptions {
            fault: Some(fault),
            ..exact_options()
        };
        let mut client = pull_client(&dir, options).await;
        let uri = file_uri(&dir.0.join("tests/test_panic.py"));
        let text = format!("{TEST_FILE}# PANIC_HERE\n");
        client.open(&uri, &text).await;
        let request = match fault {
            Fault::PanicInHover => "textDocument/hover",
            Fault::PanicInAnalysis => "textDocument/diagnostic",
        };
        let id = client
            .send(
                request,
                json!({"textDocument": {"uri": uri}, "position": position(7, 10)}),
            )
            .await;
        let response = client.response(id).await;
        assert_eq!(response["error"]["code"], -32603, "{response}");
        let log = client
            .notification("window/logMessage", |p| {
                p["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("panicked"))
            })
            .await;
        if fault == Fault::PanicInAnalysis {
            assert!(
                log["message"].as_str().unwrap().contains("test_panic.py"),
                "{log}"
            );
        }
        // The next request on a text that does not panic works.
        let end = text.lines().count() as u32;
        client
            .change(
                &uri,
                2,
                json!([{"range": {"start": position(end - 1, 0), "end": position(end, 0)}, "text": ""}]),
            )
            .await;
        assert_eq!(client.pull(&uri).await.len(), 1);
        client.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_messages_get_errors_and_the_server_keeps_serving() {
    let dir = TempDir::new("malformed");
    let mut client = pull_client(&dir, exact_options()).await;
    let uri = file_uri(&dir.0.join("tests/test_bad_messages.py"));
    client.open(&uri, TEST_FILE).await;
    // Not JSON at all.
    client.send_raw(b"Content-Length: 9\r\n\r\n{not json").await;
    let parse_error = client.response(-1).await;
    assert_eq!(parse_error["error"]["code"], -32700, "{parse_error}");
    // An unknown method.
    let id = client.send("proctor/noSuchMethod", json!({})).await;
    assert_eq!(client.response(id).await["error"]["code"], -32601);
    // The internal methods cannot be called from outside.
    let id = client
        .send("proctor/parked/hover", json!({"parked": 1, "params": {}}))
        .await;
    assert_eq!(client.response(id).await["error"]["code"], -32601);
    // Invalid params.
    let id = client
        .send(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": "here"}),
        )
        .await;
    assert_eq!(client.response(id).await["error"]["code"], -32602);
    let id = client.send("textDocument/codeAction", json!(null)).await;
    assert_eq!(client.response(id).await["error"]["code"], -32602);
    // Malformed notifications are dropped.
    client
        .notify("textDocument/didChange", json!({"textDocument": 3}))
        .await;
    client.notify("textDocument/didOpen", json!([])).await;
    assert_eq!(client.pull(&uri).await.len(), 1);
    client.shutdown().await;
}

/// A file big enough that checking it takes a while in a debug build.
fn big_file(tests: usize) -> String {
    let mut text = String::from("import time\n\n\nclass TestBig:\n");
    for i in 0..tests {
        text.push_str(&format!(
            "    def test_{i}(self):\n        x = [{i}, {i} + 1]\n        time.sleep(x[0])\n\n"
        ));
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_requests_answer_request_cancelled() {
    let dir = TempDir::new("cancel");
    let mut client = pull_client(&dir, exact_options()).await;
    let uri = file_uri(&dir.0.join("tests/test_cancel.py"));
    let text = big_file(20_000);
    client.open(&uri, &text).await;
    for (method, params) in [
        (
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri}}),
        ),
        (
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": position(5, 0), "end": position(5, 0)}, "context": {"diagnostics": []}}),
        ),
    ] {
        // A new version each time, so nothing is already computed.
        let id = client.send(method, params).await;
        client.notify("$/cancelRequest", json!({"id": id})).await;
        let response = client.response(id).await;
        assert_eq!(response["error"]["code"], -32800, "{method}: {response}");
    }
    // Still serving.
    client
        .change(&uri, 2, json!([{"text": "def test_small():\n    pass\n"}]))
        .await;
    assert_eq!(client.pull(&uri).await.len(), 1);
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_folders_come_and_go() {
    let first = TempDir::new("folder-a");
    let second = TempDir::new("folder-b");
    second.write(
        "proctor.toml",
        "select = [\"TQ101\"]\nignore = [\"TQ101\"]\n",
    );
    let mut client = plain_client(&first).await;
    let uri = file_uri(&second.0.join("tests/test_folder.py"));
    client.open(&uri, TEST_FILE).await;
    // The file's own configuration applies, found upward from it, in or out of a folder.
    assert!(client.pull(&uri).await.is_empty());
    client
        .notify(
            "workspace/didChangeWorkspaceFolders",
            json!({"event": {"added": [{"uri": file_uri(&second.0), "name": "b"}], "removed": []}}),
        )
        .await;
    client.server_request("workspace/diagnostic/refresh").await;
    assert!(client.pull(&uri).await.is_empty());
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_parse_budget_is_reconciled() {
    let dir = TempDir::new("budget");
    // No budget at all: every edit inside a function body is answered from the fallback,
    // then the background parse reconciles.
    let options = ServerOptions {
        parse_budget: Duration::ZERO,
        small_document: 0,
        settle: Duration::from_millis(50),
        ..ServerOptions::default()
    };
    let mut client = pull_client(&dir, options).await;
    let path = dir.0.join("tests/test_budget.py");
    let uri = file_uri(&path);
    client.open(&uri, TEST_FILE).await;
    client.pull(&uri).await;
    // Typing an unclosed call inside test_one.
    client
        .change(&uri, 2, insert_at(8, 21, "\n        f("))
        .await;
    let text = TEST_FILE.replace("time.sleep(1)\n", "time.sleep(1)\n        f(\n");
    client.pull(&uri).await;
    // Whatever the provisional answer, the exact one follows: a refresh if they differ, and
    // the next pull is exact.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        essentials(&client.pull(&uri).await),
        expected(&text, &path, Encoding::Utf8)
    );
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_provisional_diagnostics_are_reconciled() {
    let dir = TempDir::new("push-budget");
    let options = ServerOptions {
        parse_budget: Duration::ZERO,
        small_document: 0,
        settle: Duration::from_millis(50),
        ..ServerOptions::default()
    };
    let (client, _) = Client::with_folder(
        options,
        &dir.0,
        capabilities(false, &["utf-8"]),
        select_tq101(),
    )
    .await;
    let path = dir.0.join("tests/test_push_budget.py");
    let uri = file_uri(&path);
    client.open(&uri, TEST_FILE).await;
    client
        .notification("textDocument/publishDiagnostics", |p| p["version"] == 1)
        .await;
    // Inside test_one's body: answered from the fallback first.
    client
        .change(&uri, 2, insert_at(8, 21, "\n        f("))
        .await;
    let text = TEST_FILE.replace("time.sleep(1)\n", "time.sleep(1)\n        f(\n");
    let want = expected(&text, &path, Encoding::Utf8);
    // The last publication for version 2 is a fresh check's.
    client
        .notification("textDocument/publishDiagnostics", |p| {
            p["version"] == 2 && essentials(p["diagnostics"].as_array().unwrap()) == want
        })
        .await;
    client.shutdown().await;
}

/// A pytest project whose `tests/conftest.py` (returned) defines a module-scoped `database`
/// fixture on line 5.
fn fixture_project(name: &str) -> (TempDir, std::path::PathBuf) {
    let dir = TempDir::new(name);
    dir.write("pyproject.toml", "[project]\nname = \"p\"\n");
    let conftest = dir.write(
        "tests/conftest.py",
        "import pytest\n\n\n@pytest.fixture(scope=\"module\")\ndef database():\n    \"\"\"A scratch database.\"\"\"\n    return {}\n",
    );
    (dir, conftest)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_on_a_fixture_parameter_says_where_it_comes_from() {
    let (dir, _) = fixture_project("fixture-hover");
    let mut client = pull_client(&dir, exact_options()).await;
    let uri = file_uri(&dir.0.join("tests/test_fixtures.py"));
    client
        .open(
            &uri,
            "def test_reads(database):\n    assert database == {}\n",
        )
        .await;
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": position(0, 17)}),
        )
        .await;
    let value = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(value.contains("fixture `database`"), "{hover}");
    assert!(value.contains("conftest.py:5"), "{value}");
    assert!(value.contains("module"), "{value}");
    assert!(value.contains("A scratch database."), "{value}");
    assert_eq!(hover["range"]["start"], position(0, 15));
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_to_definition_on_a_fixture_parameter_jumps_to_the_fixture() {
    let (dir, conftest) = fixture_project("fixture-definition");
    let mut client = pull_client(&dir, exact_options()).await;
    let uri = file_uri(&dir.0.join("tests/test_fixtures.py"));
    client
        .open(
            &uri,
            "import pytest\n\n\n@pytest.fixture\ndef ünïcode_row():\n    return 1\n\n\ndef test_reads(database, ünïcode_row, tmp_path):\n    assert database == {}\n",
        )
        .await;
    let definition = |line, character| json!({"textDocument": {"uri": uri}, "position": position(line, character)});
    // From conftest.py, read from disk.
    let found = client
        .request("textDocument/definition", definition(8, 17))
        .await;
    assert_eq!(found["uri"], file_uri(&conftest), "{found}");
    assert_eq!(found["range"]["start"], position(4, 4), "{found}");
    assert_eq!(found["range"]["end"], position(4, 12), "{found}");
    // From the same module; columns in the negotiated encoding (UTF-8 here).
    let found = client
        .request("textDocument/definition", definition(8, 27))
        .await;
    assert_eq!(found["uri"], uri.as_str(), "{found}");
    assert_eq!(found["range"]["start"], position(4, 4), "{found}");
    assert_eq!(
        found["range"]["end"],
        position(4, 4 + "ünïcode_row".len() as u32),
        "{found}"
    );
    // A built-in fixture has no file to go to; nor has a plain name.
    for (line, character) in [(8, 43), (9, 12)] {
        let found = client
            .request("textDocument/definition", definition(line, character))
            .await;
        assert!(found.is_null(), "{found}");
    }
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_and_hover_work_on_provisional_analyses() {
    let dir = TempDir::new("provisional-actions");
    let options = ServerOptions {
        parse_budget: Duration::ZERO,
        small_document: 0,
        // Long enough that the exact check does not come first.
        settle: Duration::from_secs(30),
        ..ServerOptions::default()
    };
    let mut client = pull_client(&dir, options).await;
    let path = dir.0.join("tests/test_provisional.py");
    let uri = file_uri(&path);
    client.open(&uri, TEST_FILE).await;
    client.pull(&uri).await;
    // An edit inside test_one: answered provisionally from now on.
    client
        .change(&uri, 2, insert_at(8, 21, "\n        x = 2"))
        .await;
    let text = TEST_FILE.replace("time.sleep(1)\n", "time.sleep(1)\n        x = 2\n");
    assert_eq!(
        essentials(&client.pull(&uri).await),
        expected(&text, &path, Encoding::Utf8)
    );
    // Outside the edited function, the old tree (moved along) still serves.
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": position(16, 2), "end": position(16, 2)}, "context": {"diagnostics": []}}),
        )
        .await;
    let actions = actions.as_array().unwrap().clone();
    let assist = action(&actions, "Add docstring stub");
    assert!(apply(&text, assist).contains("def helper():\n    \"\"\"Helper.\"\"\"\n"));
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": position(4, 10)}),
        )
        .await;
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("`setUp`")
    );
    // The fix of the edited test's own finding is still offered, from its own parse.
    let fixes = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": position(7, 10), "end": position(7, 10)}, "context": {"diagnostics": []}}),
        )
        .await;
    let fixes = fixes.as_array().unwrap().clone();
    assert!(apply(&text, action(&fixes, "Add docstring stub")).contains("\"\"\"One.\"\"\""));
    client.shutdown().await;
}
