use tree_sitter::Node;

use crate::Applicability;
use crate::diagnostic::Diagnostic;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::summary::is_assertion_call;
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::MultiScenarioTest,
    code: "TQ602",
    name: "multi-scenario-test",
    category: Category::Structure,
    default_enabled: true,
    severity: Severity::Info,
    fix: None::<Applicability>,
    summary: "a test with more than 2 act→assert cycles: it tests several behaviours; split it",
    doc: r#"
### What it flags
A test whose body goes from acting to asserting more than `max-act-assert-cycles` times
(default 2): assertions, then more actions, then assertions again, and again. Assertions before
the first action (guards checking the starting state) do not start a cycle. The body of a
`with` block that is not itself an assertion (`with mock.patch(...)`) is read as part of the
body; any other compound statement counts as one step. A statement that calls nothing (or only
builtins such as `len` and `sorted`, or `mock.call`) — `expected = {...}`,
`request = mock_api.call_args[0][1]` — only prepares a value for the next assertion and is not
an action; neither does one that only queries state (`server = self.api.get_server(id)`:
calls with `get`, `find`, `list`, `show`, `fetch`, `read`, `load`, `lookup` or `count` as a
word of their name), nor one that only decodes a value with a function of the standard
library or a common serialiser (`params = urlparse.parse_qs(href.query)`,
`body = jsonutils.loads(resp.body)`, `re.search(...)`); encoding a new input
(`req.body = jsonutils.dumps(data)`) is an action, since it starts the next scenario. Waiting (`self._wait_for_server_parameter(...)`, any call named `wait*`)
synchronises with the code under test and is neither an action nor an assertion here.

### Why it matters
Each act→assert cycle is a behaviour. A test that checks several is really several tests run in
sequence: the first failure hides every later check, its name cannot say what it protects, and
a change to one behaviour breaks a test about all of them.

### Example
```python
def test_server(self):
    server = self._create_server()
    self.assertEqual("ACTIVE", server["status"])
    self._stop_server(server)
    self.assertEqual("SHUTOFF", server["status"])
    self._start_server(server)
    self.assertEqual("ACTIVE", server["status"])
    self._delete_server(server)
    self.assertServerGone(server)
```

### Use instead
```python
def test_stop_shuts_off(self):
    server = self._create_server()
    self._stop_server(server)
    self.assertEqual("SHUTOFF", server["status"])

def test_start_after_stop_activates(self):
    ...
```

### Fix
None: splitting a test is a design decision.

### Known limits
An assertion is an `assert`, a call matching the `assertion-helpers` patterns (default `assert*`,
`_assert*`, `check*`, `verify*`, `expect*`, `_wait_for*`…), `self.fail*` or `pytest.raises`.
Set `max-act-assert-cycles` to change the limit.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Act,
    Assert,
}

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let function = ctx.function;
    if !function.is_test() {
        return;
    }
    let Some(body) = function.body else { return };
    let assertions: Vec<Node> = function
        .nodes(Kind::AssertStatement)
        .iter()
        .copied()
        .chain(
            function
                .nodes(Kind::Call)
                .iter()
                .copied()
                .filter(|c| is_assertion_call(ctx, *c) && !is_wait(ctx, *c)),
        )
        .collect();
    let asserts_in = |node: Node| {
        assertions
            .iter()
            .any(|a| node.start_byte() <= a.start_byte() && a.end_byte() <= node.end_byte())
    };
    let calls = function.nodes(Kind::Call);
    let mut steps: Vec<Step> = Vec::new();
    // Statements in order, `with` bodies opened in place (explicit stack, reversed pushes).
    let mut stack: Vec<Node> = crate::model::statements(body).into_iter().rev().collect();
    while let Some(statement) = stack.pop() {
        if function.docstring == Some(statement) {
            continue;
        }
        match kind(statement) {
            Kind::PassStatement
            | Kind::FunctionDefinition
            | Kind::DecoratedDefinition
            | Kind::ClassDefinition => continue,
            Kind::WithStatement => {
                let header_asserts = field(statement, Field::Body).is_some_and(|with_body| {
                    assertions.iter().any(|a| {
                        statement.start_byte() <= a.start_byte()
                            && a.end_byte() <= with_body.start_byte()
                    })
                });
                if !header_asserts && let Some(with_body) = field(statement, Field::Body) {
                    // Entering a patch or a context arranges; the body is read in place.
                    stack.extend(crate::model::statements(with_body).into_iter().rev());
                    continue;
                }
            }
            _ => {}
        }
        if asserts_in(statement) {
            steps.push(Step::Assert);
        } else if calls_something(ctx, statement, calls) {
            steps.push(Step::Act);
        }
        // Anything else (`expected = {...}`, `request = mock_api.call_args[0][1]`) only
        // prepares a value for the next assertion.
    }
    let cycles = count_cycles(&steps);
    let limit = ctx.settings.thresholds.max_act_assert_cycles;
    if cycles <= limit {
        return;
    }
    out.push(Diagnostic::new(
        RuleId::MultiScenarioTest,
        TextRange::of(function.name_node),
        format!(
            "Test `{}` goes from acting to asserting {cycles} times (more than {limit}): it checks several behaviours; split it into one test per behaviour",
            function.name
        ),
    ));
}

/// Calls that only compute a value from others (builtins, `mock.call`), which do not exercise
/// the code under test.
const PURE_CALLS: &[&str] = &[
    "len", "str", "int", "float", "bool", "bytes", "list", "dict", "set", "tuple", "frozenset",
    "sorted", "reversed", "sum", "min", "max", "any", "all", "abs", "round", "repr", "isinstance",
    "getattr", "hasattr", "range", "enumerate", "zip", "map", "filter", "iter", "next", "format",
    "call", "ANY", "deepcopy", "copy", "dedent", "join", "keys", "values", "items", "index",
    "count", "split", "strip", "lower", "upper", "startswith", "endswith", "encode", "decode",
];

/// Functions of the standard library and of common serialisers that only decode a value
/// (`urlparse.parse_qs(href_parts.query)`, `jsonutils.loads(resp.body)`), matched on the path
/// the callee resolves to through the imports: like [`PURE_CALLS`], they pick apart what an
/// action returned for the next assertion. Encoders (`jsonutils.dumps`, `urlencode`) are left
/// out on purpose: building a new input is how the next scenario of a test starts.
const DECODING_FUNCTIONS: &[&str] = &[
    "urllib.parse.urlparse",
    "urllib.parse.urlsplit",
    "urllib.parse.parse_qs",
    "urllib.parse.parse_qsl",
    "urllib.parse.unquote",
    "json.loads",
    "oslo_serialization.jsonutils.loads",
    "oslo_serialization.base64.decode_as_text",
    "oslo_serialization.base64.decode_as_bytes",
    "base64.b64decode",
    "re.match",
    "re.search",
    "re.fullmatch",
    "re.findall",
    "lxml.etree.fromstring",
    "xml.etree.ElementTree.fromstring",
];

/// `self._wait_for_state_change(...)`: synchronisation, neither an action nor (for this rule)
/// an assertion, even when it matches the assertion-helper patterns.
fn is_wait(ctx: &FunctionContext, call: Node) -> bool {
    field(call, Field::Function).is_some_and(|callee| {
        let text = ctx.text(callee);
        is_wait_name(text.rsplit('.').next().unwrap_or(text))
    })
}

fn is_wait_name(name: &str) -> bool {
    name.trim_start_matches('_').starts_with("wait")
}

/// Queries that read the state an action left (`self.api.get_server(id)`,
/// `fake.get_object(ref)`, `db.instance_list(...)`) rather than act on it.
fn is_observer(name: &str) -> bool {
    name.split('_').any(|word| {
        matches!(
            word,
            "get" | "find" | "lookup" | "list" | "show" | "fetch" | "read" | "load" | "count"
                | "describe"
        )
    })
}

/// Whether a statement calls anything beyond [`PURE_CALLS`] and observers.
fn calls_something(ctx: &FunctionContext, statement: Node, calls: &[Node]) -> bool {
    calls.iter().any(|call| {
        statement.start_byte() <= call.start_byte()
            && call.end_byte() <= statement.end_byte()
            && !field(*call, Field::Function).is_some_and(|callee| {
                let text = ctx.text(callee);
                let last = text.rsplit('.').next().unwrap_or(text);
                PURE_CALLS.contains(&last)
                    || is_observer(last)
                    || is_wait_name(last)
                    || ctx
                        .resolve(callee)
                        .is_some_and(|path| DECODING_FUNCTIONS.contains(&path.as_str()))
            })
    })
}

/// Runs of assertions that follow actions, ignoring assertions before the first action.
fn count_cycles(steps: &[Step]) -> usize {
    let mut cycles = 0;
    let mut acted = false;
    let mut previous: Option<Step> = None;
    for step in steps {
        match step {
            Step::Act => acted = true,
            Step::Assert if acted && previous == Some(Step::Act) => cycles += 1,
            Step::Assert => {}
        }
        previous = Some(*step);
    }
    cycles
}

#[cfg(test)]
mod tests {
    use super::Step::{Act, Assert};
    use super::count_cycles;

    #[test]
    fn cycles() {
        assert_eq!(count_cycles(&[]), 0);
        assert_eq!(count_cycles(&[Assert, Act, Assert]), 1);
        assert_eq!(count_cycles(&[Act, Assert, Assert, Act, Act, Assert]), 2);
        assert_eq!(count_cycles(&[Act, Assert, Act, Assert, Act, Assert]), 3);
        assert_eq!(count_cycles(&[Assert, Assert, Act]), 0);
    }

    #[test]
    fn observers() {
        use super::is_observer;
        assert!(is_observer("get_server"));
        assert!(is_observer("_get_object"));
        assert!(is_observer("get"));
        assert!(!is_observer("getaway"));
        assert!(!is_observer("create_server"));
        assert!(!is_observer("listen"));
        assert!(is_observer("instance_fault_get_by_instance_uuids"));
    }
}
