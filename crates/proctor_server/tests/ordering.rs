//! Thousands of edits sent as fast as possible, interleaved with requests: every request
//! answers for the text as it was when it arrived, and the end state is a fresh check's.

mod common;

use common::{Client, TempDir, capabilities, exact_options, file_uri};
use proctor_linter::{LineIndex, Settings, Workspace};
use proctor_server::position::{Encoding, position, range};
use serde_json::{Value, json};

const START: &str = "import time\n\n\nclass TestOrder:\n    def test_a(self):\n        time.sleep(1)\n\n    def test_b(self):\n        \"\"\"Doc é.\"\"\"\n        x = 'ünï'\n\n\ndef test_c():\n    pass\n\n\ndef test_d():\n    return 1\n";

/// A small deterministic generator (no dependencies, same sequence every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The nearest offset at or before `offset` that an LSP position can express: on a char
/// boundary, and not between the `\r` and `\n` of a line break.
fn char_boundary_at(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    if offset > 0 && text[..offset].ends_with('\r') && text[offset..].starts_with('\n') {
        offset -= 1;
    }
    offset
}

/// A fresh check with a workspace like the server's (the folder's class and fixture index).
fn fresh(text: &str, path: &std::path::Path) -> Vec<proctor_linter::Diagnostic> {
    let folder = path
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.to_path_buf());
    let workspace: Workspace =
        proctor_linter::discovery::build_workspace(&folder.into_iter().collect::<Vec<_>>(), &[]);
    proctor_linter::check_source(text, Some(path), &Settings::default(), &workspace).diagnostics
}

fn essentials(text: &str, path: &std::path::Path) -> Vec<Value> {
    let lines = LineIndex::new(text);
    fresh(text, path)
        .iter()
        .map(|d| {
            json!({
                "range": range(text, &lines, d.range, Encoding::Utf16),
                "code": d.rule.code(),
                "message": d.message,
            })
        })
        .collect()
}

enum Sent {
    Diagnostic { text: String },
    Hover { flagged: bool },
    CodeAction { version: i32 },
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_edits_and_requests_stays_in_order() {
    let dir = TempDir::new("ordering");
    let (mut client, _) = Client::with_folder(
        exact_options(),
        &dir.0,
        capabilities(true, &["utf-16"]),
        Value::Null,
    )
    .await;
    let path = dir.0.join("tests/test_order.py");
    let uri = file_uri(&path);
    client.open(&uri, START).await;
    let mut text = START.to_string();
    let mut random = Lcg(7);
    let mut sent: Vec<(i64, Sent)> = Vec::new();
    const PIECES: &[&str] = &[
        "x",
        " ",
        "\n",
        "é",
        "(",
        ")",
        "_",
        "t",
        "#",
        "\r\n",
        "    ",
        "🙂",
        "def test_",
    ];
    for version in 2..3002 {
        let lines = LineIndex::new(&text);
        let start = char_boundary_at(&text, random.below(text.len() + 1));
        let (end, insert) = if random.below(3) == 0 && start < text.len() {
            let end = char_boundary_at(&text, (start + 1 + random.below(3)).min(text.len()));
            let end = if end <= start {
                let next = text[start..].chars().next().map_or(0, char::len_utf8);
                char_boundary_at(&text, (start + next).min(text.len()))
            } else {
                end
            };
            (end, "")
        } else {
            (start, PIECES[random.below(PIECES.len())])
        };
        let change = json!([{
            "range": {
                "start": position(&text, &lines, start, Encoding::Utf16),
                "end": position(&text, &lines, end, Encoding::Utf16),
            },
            "text": insert,
        }]);
        text.replace_range(start..end, insert);
        client.change(&uri, version, change).await;
        if version % 10 == 0 {
            let id = match version / 10 % 3 {
                0 => {
                    let id = client
                        .send(
                            "textDocument/diagnostic",
                            json!({"textDocument": {"uri": uri}}),
                        )
                        .await;
                    (id, Sent::Diagnostic { text: text.clone() })
                }
                1 => {
                    // Hover where a fresh check finds something, if anywhere.
                    let lines = LineIndex::new(&text);
                    let found = fresh(&text, &path);
                    let at = found.first().map_or(0, |d| d.range.start);
                    let id = client
                        .send(
                            "textDocument/hover",
                            json!({"textDocument": {"uri": uri}, "position": position(&text, &lines, at, Encoding::Utf16)}),
                        )
                        .await;
                    (
                        id,
                        Sent::Hover {
                            flagged: !found.is_empty(),
                        },
                    )
                }
                _ => {
                    let id = client
                        .send(
                            "textDocument/codeAction",
                            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 4, "character": 8}, "end": {"line": 4, "character": 8}}, "context": {"diagnostics": []}}),
                        )
                        .await;
                    (id, Sent::CodeAction { version })
                }
            };
            sent.push(id);
        }
    }
    for (id, what) in sent {
        let response = client.response(id).await;
        assert!(response.get("error").is_none(), "{response}");
        let result = &response["result"];
        match what {
            Sent::Diagnostic { text } => {
                let items: Vec<Value> = result["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| json!({"range": d["range"], "code": d["code"], "message": d["message"]}))
                    .collect();
                assert_eq!(items, essentials(&text, &path), "request {id}");
            }
            Sent::Hover { flagged } => {
                if flagged {
                    let value = result["contents"]["value"].as_str().unwrap_or_default();
                    assert!(value.starts_with("**TQ"), "request {id}: {result}");
                }
            }
            Sent::CodeAction { version } => {
                for action in result.as_array().unwrap() {
                    if let Some(changes) = action["edit"]["documentChanges"].as_array() {
                        assert_eq!(changes[0]["textDocument"]["version"], version, "{action}");
                    }
                }
            }
        }
    }
    let items = client.pull(&uri).await;
    let items: Vec<Value> = items
        .iter()
        .map(|d| json!({"range": d["range"], "code": d["code"], "message": d["message"]}))
        .collect();
    assert_eq!(items, essentials(&text, &path));
    client.shutdown().await;
}
