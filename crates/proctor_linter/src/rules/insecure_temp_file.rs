use crate::diagnostic::Diagnostic;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::syntax::Kind;
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::InsecureTempFile,
    code: "TQ801",
    name: "insecure-temp-file",
    category: Category::Security,
    default_enabled: true,
    severity: Severity::Warning,
    fix: None,
    summary: "`tempfile.mktemp()`: a race, use `mkstemp`, `NamedTemporaryFile` or `tmp_path`",
    doc: r#"
### What it flags
A call to `tempfile.mktemp()` (however it is imported).

### Why it matters
`mktemp` only returns a name that did not exist a moment ago; the file is created later, by
the test. Between the two, another process (a parallel test worker, or an attacker on a shared
machine) can create that path, or a symlink at it, and the test then writes where it should
not or reads what it did not write. The function has been deprecated since Python 2.3 for
this reason.

### Example
```python
def test_export(self):
    path = tempfile.mktemp(suffix=".csv")
    export(path)
```

### Use instead
```python
def test_export(tmp_path):
    path = tmp_path / "export.csv"
    export(path)
```

or `tempfile.mkstemp()` / `tempfile.NamedTemporaryFile(delete=False)`, which create the file
atomically, or `self.useFixture(fixtures.TempDir())` in `testtools` tests.

### Fix
None: which replacement fits depends on how the path is used.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    for call in ctx.function.nodes(Kind::Call) {
        // `mktemp` or an alias of it: resolve only calls whose name could be one.
        if !crate::security::may_call(ctx, *call, &["mktemp"]) {
            continue;
        }
        if ctx.callee(*call).as_deref() != Some("tempfile.mktemp") {
            continue;
        }
        out.push(Diagnostic::new(
            RuleId::InsecureTempFile,
            TextRange::of(*call),
            format!(
                "`tempfile.mktemp()` in `{}` returns a name another process can take before the file is created",
                ctx.function.name
            ),
        ));
    }
}
