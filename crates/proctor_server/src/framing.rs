//! A guard in front of tower-lsp-server's message framing.
//!
//! tower-lsp-server reads messages with a `FramedRead`, which ends its stream after the first
//! decoding error — and the server loop ends with it. One malformed message (bad JSON, a body
//! that is not UTF-8, a missing `Content-Length`, a JSON value that is not a JSON-RPC message)
//! would therefore stop the server. This guard reads the client's byte stream itself, passes
//! every well-formed message on unchanged (re-framed with a plain `Content-Length` header), and
//! replaces each malformed one by an internal notification that the dispatch layer answers with
//! the JSON-RPC error the message deserves (`-32700` parse error, `-32600` invalid request).

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tower_lsp_server::jsonrpc::{Request, Response};

/// Where the server sends messages it serializes itself (diagnostics, the biggest messages
/// by far, skip tower-lsp-server's `serde_json::Value` round trip): complete frames.
pub type Outbox = UnboundedSender<Vec<u8>>;

/// The internal notification standing for a malformed message.
pub const MALFORMED: &str = "$/proctor/malformed";

/// Messages larger than this are refused (and skipped) rather than buffered.
const MAX_MESSAGE: usize = 1 << 30;

/// Copies well-formed messages from `input` to `output` until `input` ends.
pub async fn guard<R, W>(input: R, mut output: W)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut input = BufReader::new(input);
    loop {
        let length = match read_headers(&mut input).await {
            Headers::End => return,
            Headers::Length(length) => length,
            Headers::Missing => {
                let substitute = malformed(-32600, "a message without Content-Length", Value::Null);
                if write_frame(&mut output, &substitute).await.is_err() {
                    return;
                }
                continue;
            }
        };
        let body = if length > MAX_MESSAGE {
            if skip(&mut input, length).await.is_err() {
                return;
            }
            malformed(-32600, "a message too large to read", Value::Null)
        } else {
            let mut body = vec![0; length];
            if input.read_exact(&mut body).await.is_err() {
                return;
            }
            match check(&body) {
                Ok(()) => body,
                Err(substitute) => substitute,
            }
        };
        if write_frame(&mut output, &body).await.is_err() {
            return;
        }
    }
}

enum Headers {
    Length(usize),
    /// A header block without a usable `Content-Length`.
    Missing,
    /// The input ended.
    End,
}

/// Reads one header block (up to its empty line). Stray empty lines before it are skipped.
async fn read_headers<R: AsyncRead + Unpin>(input: &mut BufReader<R>) -> Headers {
    let mut length = None;
    let mut seen = false;
    loop {
        let mut line = Vec::new();
        match input.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return Headers::End,
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if !seen {
                continue;
            }
            return length.map_or(Headers::Missing, Headers::Length);
        }
        seen = true;
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
}

async fn skip<R: AsyncRead + Unpin>(
    input: &mut BufReader<R>,
    mut length: usize,
) -> std::io::Result<()> {
    let mut buffer = vec![0; 1 << 16];
    while length > 0 {
        let chunk = length.min(buffer.len());
        input.read_exact(&mut buffer[..chunk]).await?;
        length -= chunk;
    }
    Ok(())
}

/// `Ok` when tower-lsp-server will decode the body; else the substitute to send instead.
fn check(body: &[u8]) -> Result<(), Vec<u8>> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Err(malformed(
            -32700,
            "a message that is not UTF-8",
            Value::Null,
        ));
    };
    if text.trim().is_empty() {
        // The codec skips empty bodies itself.
        return Ok(());
    }
    if serde_json::from_str::<Request>(text).is_ok()
        || serde_json::from_str::<Response>(text).is_ok()
    {
        return Ok(());
    }
    match serde_json::from_str::<Value>(text) {
        Err(error) => Err(malformed(
            -32700,
            &format!("invalid JSON: {error}"),
            Value::Null,
        )),
        Ok(value) => {
            // Answer with the request's id when it has a usable one.
            let id = value
                .get("id")
                .filter(|id| id.is_string() || id.is_i64() || id.is_u64())
                .cloned()
                .unwrap_or(Value::Null);
            Err(malformed(-32600, "not a JSON-RPC 2.0 message", id))
        }
    }
}

fn malformed(code: i64, message: &str, id: Value) -> Vec<u8> {
    tracing::warn!("malformed message from the client: {message}");
    serde_json::to_vec(&json!({
        "jsonrpc": "2.0",
        "method": MALFORMED,
        "params": {"code": code, "message": message, "id": id},
    }))
    .unwrap_or_default()
}

/// A complete frame for a message body.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// Writes to the client, one whole frame at a time: the frames tower-lsp-server writes
/// (read back from its output pipe) and the frames of the [`Outbox`], in arrival order.
/// Ends when tower-lsp-server's output ends.
pub async fn mux<R, W>(
    server_output: R,
    outbox: Outbox,
    mut frames: UnboundedReceiver<Vec<u8>>,
    mut output: W,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let reader = async move {
        let mut input = BufReader::new(server_output);
        loop {
            let length = match read_headers(&mut input).await {
                Headers::End => break,
                // tower-lsp-server always writes a Content-Length.
                Headers::Missing => continue,
                Headers::Length(length) => length,
            };
            let mut body = vec![0; length];
            if input.read_exact(&mut body).await.is_err() || outbox.send(frame(&body)).is_err() {
                break;
            }
        }
        // An empty frame marks the end of the server's output.
        let _ = outbox.send(Vec::new());
    };
    let writer = async move {
        while let Some(bytes) = frames.recv().await {
            if bytes.is_empty() {
                break;
            }
            if output.write_all(&bytes).await.is_err() {
                return;
            }
            if frames.is_empty() && output.flush().await.is_err() {
                return;
            }
        }
        // Whatever was answered before the end still goes out.
        while let Ok(bytes) = frames.try_recv() {
            if !bytes.is_empty() && output.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let _ = output.flush().await;
    };
    tokio::join!(reader, writer);
}

async fn write_frame<W: AsyncWrite + Unpin>(output: &mut W, body: &[u8]) -> std::io::Result<()> {
    output
        .write_all(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes())
        .await?;
    output.write_all(body).await?;
    output.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks() {
        assert!(check(br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#).is_ok());
        assert!(check(br#"{"jsonrpc":"2.0","method":"initialized"}"#).is_ok());
        assert!(check(br#"{"jsonrpc":"2.0","id":1,"result":null}"#).is_ok());
        for bad in [&b"{not json"[..], b"[]", b"{\"a\": 1}", b"\xff\xfe"] {
            let substitute = check(bad).unwrap_err();
            let value: Value = serde_json::from_slice(&substitute).unwrap();
            assert_eq!(value["method"], MALFORMED);
        }
        let value: Value =
            serde_json::from_slice(&check(br#"{"jsonrpc":"2.0","id":7,"method":3}"#).unwrap_err())
                .unwrap();
        assert_eq!(value["params"]["id"], 7);
        assert_eq!(value["params"]["code"], -32600);
    }

    #[tokio::test]
    async fn frames_pass_and_garbage_is_replaced() {
        let good = r#"{"jsonrpc":"2.0","method":"initialized"}"#;
        let input = format!(
            "Content-Length: {}\r\n\r\n{good}content-length: 9\r\nContent-Type: text/x; charset=latin1\r\n\r\n{{not json\r\ngarbage line\r\n\r\n",
            good.len()
        )
        .into_bytes();
        let mut output = Vec::new();
        guard(&input[..], &mut output).await;
        let output = String::from_utf8(output).unwrap();
        let frames: Vec<&str> = output.split("Content-Length: ").skip(1).collect();
        assert_eq!(frames.len(), 3, "{output}");
        assert!(frames[0].contains("\"initialized\""));
        assert!(frames[1].contains(MALFORMED) && frames[1].contains("-32700"));
        assert!(frames[2].contains(MALFORMED) && frames[2].contains("-32600"));
    }
}
