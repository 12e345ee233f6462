use tree_sitter::Node;

use crate::diagnostic::Diagnostic;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::security::in_expectation;
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::TlsVerificationDisabled,
    code: "TQ805",
    name: "tls-verification-disabled",
    category: Category::Security,
    default_enabled: true,
    severity: Severity::Warning,
    fix: None,
    summary: "`verify=False`, `ssl._create_unverified_context()`, `CERT_NONE`",
    doc: r#"
### What it flags
Test code that turns certificate checking off:

- `verify=False` passed to an HTTP client: `requests.get/post/…/request`, `httpx.get/…`,
  `httpx.Client(...)`/`AsyncClient(...)`, or a method of a `requests.Session()` or `httpx`
  client created in the same function; and `session.verify = False`;
- `ssl._create_unverified_context()`, called or installed as the default;
- `ssl.CERT_NONE` (or `cert_reqs="CERT_NONE"`) set on a context or passed to a call.

### Why it matters
A test that talks to a server without checking its certificate passes against anything that
answers — including a proxy in the middle — and teaches the pattern to the code next to it.
Tests that need TLS against a local server can trust that server's certificate instead.

### Example
```python
def test_health(live_server):
    response = requests.get(live_server.url + "/health", verify=False)
```

### Use instead
```python
def test_health(live_server, server_ca_bundle):
    response = requests.get(live_server.url + "/health", verify=server_ca_bundle)
```

### Fix
None: the test needs a certificate to trust.

### Known limits
`verify=` is only checked on HTTP clients Proctor can see: other functions with a `verify`
parameter are not TLS settings, and a value stated as an expectation
(`mock_get.assert_called_once_with(url, verify=False)`, `assertEqual(ssl.CERT_NONE, ...)`)
is not reported, nor is `ssl.CERT_NONE` listed as one mode among others (`parametrize` data,
a tuple of `CERT_*` values, a default parameter value). A session received from elsewhere (a fixture, `self.session`) is not followed
unless its name says it is a session.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

const HTTP_FUNCTIONS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "request", "stream", "send",
];

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let source = ctx.source();
    let mut sessions: Option<Vec<String>> = None;
    for call in ctx.function.nodes(Kind::Call) {
        let name = crate::security::callee_name(source, *call);
        let has_verify = crate::model::keyword_argument(source, *call, "verify").is_some();
        if name != Some("_create_unverified_context") && !has_verify {
            continue;
        }
        let callee = ctx.callee(*call);
        if callee.as_deref() == Some("ssl._create_unverified_context") {
            report(ctx, out, *call, "`ssl._create_unverified_context()`");
            continue;
        }
        let Some(value) = crate::model::keyword_argument(source, *call, "verify") else {
            continue;
        };
        if kind(value) != Kind::False || in_expectation(ctx, *call) {
            continue;
        }
        let sessions = sessions.get_or_insert_with(|| session_names(ctx));
        if is_http_call(ctx, *call, callee.as_deref(), sessions) {
            report(ctx, out, value.parent().unwrap_or(value), "`verify=False`");
        }
    }
    // `session.verify = False`, `ssl._create_default_https_context = ssl._create_unverified_context`,
    // `context.verify_mode = ssl.CERT_NONE`.
    for assignment in ctx.function.nodes(Kind::Assignment) {
        let (Some(left), Some(right)) = (
            field(*assignment, Field::Left),
            field(*assignment, Field::Right),
        ) else {
            continue;
        };
        if kind(left) == Kind::Attribute
            && kind(right) == Kind::False
            && field(left, Field::Attribute).and_then(|a| source.get(a.byte_range()))
                == Some("verify")
            && field(left, Field::Object).is_some_and(|o| {
                let sessions = sessions.get_or_insert_with(|| session_names(ctx));
                is_session_object(ctx, o, sessions)
            })
        {
            report(ctx, out, *assignment, "`verify = False` on a session");
        }
        if source
            .get(right.byte_range())
            .is_some_and(|t| t.ends_with("_create_unverified_context"))
            && ctx.resolve(right).as_deref() == Some("ssl._create_unverified_context")
        {
            report(ctx, out, *assignment, "`ssl._create_unverified_context`");
        }
    }
    let mut seen = Vec::new();
    for node in ctx
        .function
        .nodes(Kind::Attribute)
        .iter()
        .chain(ctx.function.nodes(Kind::Identifier))
    {
        let text = source.get(node.byte_range()).unwrap_or("");
        if !text.ends_with("CERT_NONE") {
            continue;
        }
        if ctx.resolve(*node).as_deref() != Some("ssl.CERT_NONE")
            || seen.contains(&node.start_byte())
            || in_expectation(ctx, *node)
            || is_nested_in_attribute(*node)
            || is_test_data(ctx, *node)
        {
            continue;
        }
        seen.push(node.start_byte());
        report(ctx, out, *node, "`ssl.CERT_NONE`");
    }
    for keyword in ctx.function.nodes(Kind::KeywordArgument) {
        let (Some(name), Some(value)) = (field(*keyword, Field::Name), field(*keyword, Field::Value))
        else {
            continue;
        };
        if source.get(name.byte_range()) == Some("cert_reqs")
            && crate::workspace::pytest_syntax::string_value(source, value).as_deref()
                == Some("CERT_NONE")
            && !in_expectation(ctx, *keyword)
        {
            report(ctx, out, *keyword, "`cert_reqs=\"CERT_NONE\"`");
        }
    }
}

/// `ssl.CERT_NONE` as one value among others: in a decorator (`parametrize` data), a default
/// parameter value, or a collection that lists other `CERT_*` modes too (a test enumerating
/// the modes a function accepts).
fn is_test_data(ctx: &FunctionContext, node: Node) -> bool {
    let source = ctx.source();
    let mut current = node.parent();
    while let Some(parent) = current {
        match kind(parent) {
            Kind::Decorator
            | Kind::DefaultParameter
            | Kind::TypedDefaultParameter
            | Kind::Parameters => return true,
            Kind::List | Kind::Tuple | Kind::Set => {
                let text = source.get(parent.byte_range()).unwrap_or("");
                if text.matches("CERT_").count() > 1 {
                    return true;
                }
            }
            Kind::Block | Kind::FunctionDefinition => return false,
            _ => {}
        }
        current = parent.parent();
    }
    false
}

/// `ssl.CERT_NONE` inside a longer chain (`ssl.CERT_NONE.value`) is reported once, at the
/// chain's start.
fn is_nested_in_attribute(node: Node) -> bool {
    node.parent()
        .is_some_and(|p| kind(p) == Kind::Attribute && field(p, Field::Object) != Some(node))
}

fn report(ctx: &FunctionContext, out: &mut Vec<Diagnostic>, node: Node, what: &str) {
    out.push(Diagnostic::new(
        RuleId::TlsVerificationDisabled,
        TextRange::of(node),
        format!(
            "{what} in `{}` turns TLS certificate verification off",
            ctx.function.name
        ),
    ));
}

fn is_http_call(
    ctx: &FunctionContext,
    call: Node,
    callee: Option<&str>,
    sessions: &[String],
) -> bool {
    if let Some(callee) = callee {
        if let Some(function) = callee
            .strip_prefix("requests.")
            .or_else(|| callee.strip_prefix("requests.api."))
            .or_else(|| callee.strip_prefix("httpx."))
        {
            return HTTP_FUNCTIONS.contains(&function)
                || matches!(function, "Client" | "AsyncClient" | "Session" | "session");
        }
    }
    let Some(function) = field(call, Field::Function).filter(|f| kind(*f) == Kind::Attribute)
    else {
        return false;
    };
    let method = field(function, Field::Attribute).and_then(|a| ctx.source().get(a.byte_range()));
    method.is_some_and(|m| HTTP_FUNCTIONS.contains(&m))
        && field(function, Field::Object).is_some_and(|o| is_session_object(ctx, o, sessions))
}

/// A `requests`/`httpx` session: created in the function, created inline, or named so.
fn is_session_object(ctx: &FunctionContext, object: Node, sessions: &[String]) -> bool {
    let source = ctx.source();
    match kind(object) {
        Kind::Identifier => {
            let name = source.get(object.byte_range()).unwrap_or("");
            sessions.iter().any(|s| s == name) || name.to_ascii_lowercase().ends_with("session")
        }
        Kind::Attribute => field(object, Field::Attribute)
            .and_then(|a| source.get(a.byte_range()))
            .is_some_and(|n| n.to_ascii_lowercase().ends_with("session")),
        Kind::Call => is_session_constructor(ctx.callee(object).as_deref()),
        _ => false,
    }
}

fn is_session_constructor(callee: Option<&str>) -> bool {
    matches!(
        callee,
        Some(
            "requests.Session"
                | "requests.session"
                | "requests.sessions.Session"
                | "httpx.Client"
                | "httpx.AsyncClient"
        )
    )
}

/// Names bound to a new session in the function: `s = requests.Session()`,
/// `with httpx.Client() as client:`.
fn session_names(ctx: &FunctionContext) -> Vec<String> {
    let source = ctx.source();
    let mut out = Vec::new();
    for assignment in ctx.function.nodes(Kind::Assignment) {
        if let (Some(left), Some(right)) = (
            field(*assignment, Field::Left),
            field(*assignment, Field::Right),
        ) && kind(left) == Kind::Identifier
            && kind(right) == Kind::Call
            && is_session_constructor(ctx.callee(right).as_deref())
        {
            out.push(source.get(left.byte_range()).unwrap_or("").to_string());
        }
    }
    for item in ctx.function.nodes(Kind::WithItem) {
        let Some(value) = field(*item, Field::Value) else {
            continue;
        };
        // `with X() as name`: the value is an `as_pattern` holding the call and the alias.
        let mut call = None;
        let mut alias = None;
        for child in crate::syntax::named_children(value) {
            match kind(child) {
                Kind::Call => call = Some(child),
                _ => {
                    if let Some(name) = crate::syntax::named_children(child)
                        .find(|n| kind(*n) == Kind::Identifier)
                        .or_else(|| (kind(child) == Kind::Identifier).then_some(child))
                    {
                        alias = Some(name);
                    }
                }
            }
        }
        if let (Some(call), Some(alias)) = (call, alias)
            && is_session_constructor(ctx.callee(call).as_deref())
        {
            out.push(source.get(alias.byte_range()).unwrap_or("").to_string());
        }
    }
    out
}
