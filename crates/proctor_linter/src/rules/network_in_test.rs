use tree_sitter::Node;

use crate::Applicability;
use crate::diagnostic::Diagnostic;
use crate::model::{keyword_argument, positional_arguments, string_literal_value};
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::syntax::{Kind, kind};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::NetworkInTest,
    code: "TQ304",
    name: "network-in-test",
    category: Category::Timing,
    default_enabled: true,
    severity: Severity::Warning,
    fix: None::<Applicability>,
    summary: "a call to `requests`/`httpx`/`urllib.request`/`socket.create_connection` with a literal URL or host that is not loopback",
    doc: r#"
### What it flags
A call in test code that opens a network connection to a literal, non-loopback address:
`requests.get/post/put/patch/delete/head/options/request(...)`, the same functions of `httpx`
(and `httpx.stream`), `urllib.request.urlopen`/`urlretrieve`, and `socket.create_connection`,
when the URL or host is a string literal and not `localhost`, `127.x.x.x`, `::1` or `0.0.0.0`.

### Why it matters
A test that talks to a real server fails when the network, DNS or the server is down, is slow
when they are slow, and can only be run online. Its result says more about the network than
about the code. It may also send test data somewhere real.

### Example
```python
def test_fetch_status():
    response = requests.get("https://status.example.com/api")
    assert response.ok
```

### Use instead
Serve the response locally or stub the transport:

```python
def test_fetch_status(requests_mock):
    requests_mock.get("https://status.example.com/api", json={"ok": True})
    response = requests.get("https://status.example.com/api")
    assert response.ok
```

(`responses`, `requests-mock`, `respx`/`pytest-httpx` for `httpx`, or a local server on
`127.0.0.1`.)

### Fix
None: choose how to replace the server.

### Known limits
Files that import an HTTP-mocking library (`responses`, `requests_mock`, `httpretty`, `respx`,
`pytest_httpx`, `vcr`, `betamax`), functions with a mocking fixture parameter
(`requests_mock`, `httpx_mock`, `respx_mock`), and functions that patch the library themselves
(in a decorator or their body) are skipped. A patch applied elsewhere — in `setUp`, or a
`conftest.py` fixture — is not seen; suppress those with `# noqa: TQ304`.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

/// Calls that connect, and the positional index of their URL.
fn url_position(callee: &str) -> Option<usize> {
    let (module, function) = callee.rsplit_once('.')?;
    match (module, function) {
        (
            "requests" | "httpx",
            "get" | "post" | "put" | "patch" | "delete" | "head" | "options",
        ) => Some(0),
        ("requests" | "httpx", "request") | ("httpx", "stream") => Some(1),
        ("urllib.request", "urlopen" | "urlretrieve") => Some(0),
        _ => None,
    }
}

/// Libraries whose import means HTTP is stubbed in this file (top-level modules: no dots).
const MOCKING_LIBRARIES: &[&str] = &[
    "responses",
    "requests_mock",
    "httpretty",
    "respx",
    "pytest_httpx",
    "vcr",
    "betamax",
    "aioresponses",
];

/// Fixtures that stub HTTP.
const MOCKING_FIXTURES: &[&str] = &["requests_mock", "httpx_mock", "respx_mock", "responses"];

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    if ctx
        .file
        .imports
        .imports_any_top_level_module(MOCKING_LIBRARIES)
    {
        return;
    }
    let mut stubbed: Option<bool> = None;
    for call in ctx.function.nodes(Kind::Call) {
        let Some(callee) = ctx.callee(*call) else {
            continue;
        };
        let address = if callee == "socket.create_connection" {
            socket_host(ctx, *call)
        } else if let Some(position) = url_position(&callee) {
            let url = keyword_argument(ctx.source(), *call, "url")
                .or_else(|| positional_arguments(*call).get(position).copied());
            url.and_then(|u| string_literal_value(ctx.source(), u))
                .and_then(url_host)
        } else {
            None
        };
        let Some(host) = address else { continue };
        if is_loopback(host) {
            continue;
        }
        let module = callee.split('.').next().unwrap_or("");
        if *stubbed.get_or_insert_with(|| stubs_network(ctx, module)) {
            return;
        }
        out.push(Diagnostic::new(
            RuleId::NetworkInTest,
            TextRange::of(*call),
            format!(
                "`{callee}` in {} connects to `{host}`: the test depends on the network and that server",
                ctx.describe()
            ),
        ));
    }
}

/// `socket.create_connection(("host", port))`: the literal host.
fn socket_host<'s>(ctx: &FunctionContext<'_, 's>, call: Node) -> Option<&'s str> {
    let address = keyword_argument(ctx.source(), call, "address")
        .or_else(|| positional_arguments(call).first().copied())?;
    if kind(address) != Kind::Tuple {
        return None;
    }
    let host = crate::syntax::named_children(address).next()?;
    string_literal_value(ctx.source(), host)
}

/// The host of an absolute `http(s)`/`ftp`/`ws(s)` URL.
fn url_host(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(
        scheme.to_ascii_lowercase().as_str(),
        "http" | "https" | "ftp" | "ws" | "wss"
    ) {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next()?
    } else {
        host_port.split(':').next()?
    };
    (!host.is_empty() && !host.contains(['{', '%', '$'])).then_some(host)
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host.starts_with("127.")
        || host == "::1"
        || host == "0.0.0.0"
        || host == "::"
        || host.is_empty()
}

/// Whether the function (or one around it) stubs the library: a mocking fixture parameter, or
/// a patch of it in a decorator or in the body (`mock.patch("requests.get")`).
fn stubs_network(ctx: &FunctionContext, module: &str) -> bool {
    let functions: Vec<_> = std::iter::once(ctx.function).chain(ctx.ancestors()).collect();
    functions.iter().any(|function| {
        function
            .parameter_list(ctx.source())
            .iter()
            .any(|p| MOCKING_FIXTURES.contains(&p.name))
            || function.decorators.iter().any(|d| ctx.text(*d).contains(module))
            || function.nodes(Kind::String).iter().any(|s| {
                string_literal_value(ctx.source(), *s).is_some_and(|text| {
                    text == module
                        || text
                            .strip_prefix(module)
                            .is_some_and(|rest| rest.starts_with('.'))
                })
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mocking_libraries_are_found_in_one_pass() {
        assert!(MOCKING_LIBRARIES.iter().all(|m| !m.contains('.')));
        for (source, expected) in [
            ("import responses\n", true),
            ("from requests_mock import Mocker\n", true),
            ("import vcr.cassette as c\n", true),
            ("from pytest_httpx import *\n", true),
            ("import responsesx\n", false),
            ("import requests\nfrom unittest import mock\n", false),
            ("from .responses import x\n", false),
        ] {
            let tree = crate::parse::parse(source, None);
            let file = crate::model::FileModel::build(&tree, source, None);
            let each = MOCKING_LIBRARIES
                .iter()
                .any(|library| file.imports.imports_module(library));
            assert_eq!(each, expected, "{source}");
            assert_eq!(
                file.imports.imports_any_top_level_module(MOCKING_LIBRARIES),
                expected,
                "{source}"
            );
        }
    }

    #[test]
    fn hosts_of_urls() {
        assert_eq!(url_host("https://example.com/a?b"), Some("example.com"));
        assert_eq!(url_host("http://user:pw@api.test:8080/x"), Some("api.test"));
        assert_eq!(url_host("http://[::1]:80/"), Some("::1"));
        assert_eq!(url_host("example.com/x"), None);
        assert_eq!(url_host("file:///etc/passwd"), None);
        assert_eq!(url_host("http://%s/x"), None);
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("LOCALHOST"));
        assert!(!is_loopback("example.com"));
    }
}
