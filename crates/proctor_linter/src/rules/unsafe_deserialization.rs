use crate::diagnostic::Diagnostic;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::security::{Origin, argument, origin};
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::UnsafeDeserialization,
    code: "TQ804",
    name: "unsafe-deserialization",
    category: Category::Security,
    default_enabled: true,
    severity: Severity::Warning,
    fix: None,
    summary: "`pickle.load(s)`, `marshal.load(s)`, `yaml.load` without a safe loader, `shelve.open` on non-literal data",
    doc: r#"
### What it flags
Loading data that was not written in the test itself with a format that can run code:
`pickle.load`/`loads`/`Unpickler` (and `cPickle`, `_pickle`), `marshal.load`/`loads`,
`yaml.load`/`load_all` without `SafeLoader`, `CSafeLoader` or `BaseLoader` (and
`yaml.unsafe_load`), and `shelve.open`.

Literal data, and round trips — the same function also serializes (any `dump*` call:
`pickle.dumps`, `yaml.safe_dump`, `path.dump(...)`), or stores into a shelf — are not
reported: the test wrote what it reads.

### Why it matters
Unpickling runs whatever the data says to run. A test that loads a fixture file, a cached
artifact or a response body this way executes code from wherever that data came from — on a
developer machine or a CI runner with credentials. YAML's default loaders can build arbitrary
Python objects too.

### Example
```python
def test_model_from_cache(cache_dir):
    with open(cache_dir / "model.pkl", "rb") as f:
        model = pickle.load(f)
```

### Use instead
```python
def test_model_from_cache(cache_dir):
    model = Model.from_json((cache_dir / "model.json").read_text())
```

and `yaml.safe_load(text)` for YAML.

### Fix
None: the replacement format is a design choice.

### Known limits
A round trip through a file written by a fixture or `setUp` is not recognised as one.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let scope: Vec<_> = std::iter::once(ctx.function).chain(ctx.descendants()).collect();
    // Any `dump*` call (`pickle.dump`, `yaml.safe_dump`, `path.dump(...)`) means the test
    // writes what it then loads.
    let source = ctx.source();
    let writes = scope.iter().flat_map(|f| f.nodes(Kind::Call).iter()).any(|c| {
        let name = field(*c, Field::Function).and_then(|f| match kind(f) {
            Kind::Identifier => source.get(f.byte_range()),
            Kind::Attribute => field(f, Field::Attribute).and_then(|a| source.get(a.byte_range())),
            _ => None,
        });
        name.is_some_and(|n| n.starts_with("dump") || n.ends_with("_dump") || n.ends_with("_dumps"))
    });
    for call in ctx.function.nodes(Kind::Call) {
        if !crate::security::may_call(
            ctx,
            *call,
            &[
                "load",
                "loads",
                "Unpickler",
                "load_all",
                "unsafe_load",
                "unsafe_load_all",
                "open",
            ],
        ) {
            continue;
        }
        let Some(callee) = ctx.callee(*call) else {
            continue;
        };
        let (module, name) = callee.rsplit_once('.').unwrap_or(("", callee.as_str()));
        let module = match module {
            "cPickle" | "_pickle" | "pickle" => "pickle",
            other => other,
        };
        let (what, round_trip) = match (module, name) {
            ("pickle", "load" | "loads" | "Unpickler") | ("marshal", "load" | "loads") => {
                (format!("`{callee}()`"), writes)
            }
            ("yaml", "unsafe_load" | "unsafe_load_all") => {
                (format!("`{callee}()`"), writes)
            }
            ("yaml", "load" | "load_all") => {
                if has_safe_loader(ctx, *call) {
                    continue;
                }
                (
                    format!("`{callee}()` without a safe loader"),
                    writes,
                )
            }
            ("shelve", "open") => (format!("`{callee}()`"), stores_into_subscript(ctx)),
            _ => continue,
        };
        if round_trip {
            continue;
        }
        let Some(data) = argument(
            source,
            *call,
            0,
            &["file", "data", "stream", "filename", "s"],
        ) else {
            continue;
        };
        if origin(ctx, data) == Origin::Literal {
            continue;
        }
        out.push(Diagnostic::new(
            RuleId::UnsafeDeserialization,
            TextRange::of(*call),
            format!(
                "{what} in `{}` deserializes data the test did not write; it can run arbitrary code",
                ctx.function.name
            ),
        ));
    }
}

fn has_safe_loader(ctx: &FunctionContext, call: tree_sitter::Node) -> bool {
    let Some(loader) = argument(ctx.source(), call, 1, &["Loader"]) else {
        return false;
    };
    let text = ctx
        .resolve(loader)
        .or_else(|| ctx.source().get(loader.byte_range()).map(str::to_string))
        .unwrap_or_default();
    let last = text.rsplit('.').next().unwrap_or("");
    matches!(last, "SafeLoader" | "CSafeLoader" | "BaseLoader" | "CBaseLoader")
}

/// `shelf[key] = value` somewhere in the function: the test fills the shelf it opens.
fn stores_into_subscript(ctx: &FunctionContext) -> bool {
    ctx.function.nodes(Kind::Assignment).iter().any(|a| {
        field(*a, Field::Left).is_some_and(|left| kind(left) == Kind::Subscript)
    })
}
