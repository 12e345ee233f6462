use tree_sitter::Node;

use crate::diagnostic::Diagnostic;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;
use crate::workspace::pytest_syntax::string_value;

pub const RULE: Rule = Rule {
    id: RuleId::HardcodedTmpPath,
    code: "TQ802",
    name: "hardcoded-tmp-path",
    category: Category::Security,
    default_enabled: true,
    severity: Severity::Warning,
    fix: None,
    summary: "a string literal path under `/tmp` or `/var/tmp` used by test code",
    doc: r#"
### What it flags
A literal path under `/tmp` or `/var/tmp` that the test itself uses on the file system: passed
(directly, through a local variable, or joined with `os.path.join`, `pathlib.Path`, `/` or
`+`) to `open`, an `os`/`os.path`/`shutil` file function, `sqlite3.connect`,
`logging.FileHandler`, `zipfile.ZipFile`, `tarfile.open`, or to a `pathlib.Path` method such
as `write_text` or `mkdir`.

### Why it matters
A fixed name under the shared temporary directory collides between parallel test runs (two
CI jobs, `pytest -n`, two developers on one machine) and survives a crashed run to break the
next. On a shared machine another user can create the path first, or a symlink at it, and
the test writes through it.

### Example
```python
def test_export():
    export("/tmp/report.csv")
    with open("/tmp/report.csv") as f:
        assert f.readline() == "id,name\n"
```

### Use instead
```python
def test_export(tmp_path):
    path = tmp_path / "report.csv"
    export(path)
    assert path.read_text().startswith("id,name\n")
```

(`self.useFixture(fixtures.TempDir()).path` in `testtools` tests.)

### Fix
None: where the test's files should live depends on the test.

### Known limits
Only the test's own file-system calls count. A `/tmp` path handed to the code under test (or
to a mock, or stated as an expected value) is usually just data — most such paths in real
suites are never created — so it is not reported even when the code under test does write
there. A call whose target the same function patches (`mock.patch("os.makedirs")`,
`mock_open`) is not a file-system call; patches made in `setUp` are not seen.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

/// Functions that touch the file system at the path in their arguments.
const FILE_FUNCTIONS: &[&str] = &[
    "open",
    "io.open",
    "os.open",
    "os.makedirs",
    "os.mkdir",
    "os.remove",
    "os.unlink",
    "os.rmdir",
    "os.removedirs",
    "os.rename",
    "os.renames",
    "os.replace",
    "os.symlink",
    "os.link",
    "os.chmod",
    "os.chown",
    "os.listdir",
    "os.scandir",
    "os.walk",
    "os.mkfifo",
    "os.truncate",
    "os.utime",
    "os.path.exists",
    "os.path.lexists",
    "os.path.isfile",
    "os.path.isdir",
    "os.path.getsize",
    "shutil.rmtree",
    "shutil.copy",
    "shutil.copy2",
    "shutil.copyfile",
    "shutil.copytree",
    "shutil.move",
    "shutil.make_archive",
    "shutil.unpack_archive",
    "sqlite3.connect",
    "logging.FileHandler",
    "zipfile.ZipFile",
    "tarfile.open",
];

/// `pathlib.Path` methods that touch the file system.
const PATH_METHODS: &[&str] = &[
    "write_text",
    "write_bytes",
    "read_text",
    "read_bytes",
    "open",
    "mkdir",
    "touch",
    "unlink",
    "rmdir",
    "rename",
    "replace",
    "symlink_to",
    "exists",
    "iterdir",
    "glob",
    "chmod",
];

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let source = ctx.source();
    let mut patched: Option<Vec<String>> = None;
    for string in ctx.function.nodes(Kind::String) {
        if !is_tmp_path(source, *string) {
            continue;
        }
        let patched = patched.get_or_insert_with(|| patched_names(ctx));
        let outer = widen(ctx, *string);
        let used_by = file_call(ctx, outer, patched).or_else(|| {
            // `path = "/tmp/x"` then `open(path)`.
            let assignment = outer.parent().filter(|p| {
                kind(*p) == Kind::Assignment && field(*p, Field::Right) == Some(outer)
            })?;
            let target = field(assignment, Field::Left).filter(|l| kind(*l) == Kind::Identifier)?;
            let name = source.get(target.byte_range())?;
            ctx.function
                .nodes(Kind::Identifier)
                .iter()
                .filter(|i| i.start_byte() > assignment.end_byte())
                .filter(|i| source.get(i.byte_range()) == Some(name))
                .find_map(|i| file_call(ctx, widen(ctx, *i), patched))
        });
        let Some(call) = used_by else {
            continue;
        };
        let path = string_value(source, *string)
            .or_else(|| source.get(string.byte_range()).map(str::to_string))
            .unwrap_or_default();
        out.push(Diagnostic::new(
            RuleId::HardcodedTmpPath,
            TextRange::of(*string),
            format!(
                "`{path}` is a fixed path in the shared temporary directory, used by `{call}` in `{}`",
                ctx.function.name
            ),
        ));
    }
}

/// A string whose (first) text starts with `/tmp/` or `/var/tmp/` (or is that directory).
fn is_tmp_path(source: &str, string: Node) -> bool {
    if !source
        .get(string.byte_range())
        .is_some_and(|t| t.contains("/tmp"))
    {
        return false;
    }
    let Some(content) = crate::syntax::named_children(string)
        .find(|c| !matches!(kind(*c), Kind::StringStart))
        .filter(|c| kind(*c) == Kind::StringContent)
        .and_then(|c| source.get(c.byte_range()))
    else {
        return false;
    };
    ["/tmp", "/var/tmp"].iter().any(|dir| {
        content
            .strip_prefix(dir)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// The expression a path flows into: `os.path.join(p, ...)`, `Path(p)`, `p / "x"`,
/// `p + "x"`, `str(p)`, `(p)`.
fn widen<'t>(ctx: &FunctionContext<'_, 't>, node: Node<'t>) -> Node<'t> {
    let mut current = node;
    for _ in 0..8 {
        let Some(parent) = current.parent() else {
            break;
        };
        let next = match kind(parent) {
            Kind::BinaryOperator | Kind::ParenthesizedExpression | Kind::ConcatenatedString => {
                Some(parent)
            }
            Kind::ArgumentList => parent.parent().filter(|call| {
                matches!(
                    ctx.callee(*call).as_deref(),
                    Some(
                        "os.path.join"
                            | "pathlib.Path"
                            | "pathlib.PurePath"
                            | "pathlib.PosixPath"
                            | "os.fspath"
                    )
                ) || field(*call, Field::Function)
                    .and_then(|f| ctx.source().get(f.byte_range()))
                    == Some("str")
            }),
            _ => None,
        };
        match next {
            Some(next) => current = next,
            None => break,
        }
    }
    current
}

/// The file-system call `node` is handed to, as written.
fn file_call(ctx: &FunctionContext, node: Node, patched: &[String]) -> Option<String> {
    let parent = node.parent()?;
    let source = ctx.source();
    // `Path("/tmp/x").write_text(...)`
    if kind(parent) == Kind::Attribute && field(parent, Field::Object) == Some(node) && kind(node) == Kind::Call {
        let method = field(parent, Field::Attribute).and_then(|a| source.get(a.byte_range()))?;
        let call = parent.parent().filter(|c| kind(*c) == Kind::Call)?;
        return (PATH_METHODS.contains(&method) && !patched.iter().any(|p| p == method))
            .then(|| format!(".{method}()"))
            .filter(|_| field(call, Field::Function) == Some(parent));
    }
    let argument_list = match kind(parent) {
        Kind::ArgumentList => parent,
        Kind::KeywordArgument => parent.parent().filter(|p| kind(*p) == Kind::ArgumentList)?,
        _ => return None,
    };
    let call = argument_list.parent().filter(|c| kind(*c) == Kind::Call)?;
    let function = field(call, Field::Function)?;
    let callee = match kind(function) {
        Kind::Identifier if source.get(function.byte_range()) == Some("open") => {
            ctx.resolve(function).unwrap_or_else(|| "open".to_string())
        }
        _ => ctx.resolve(function)?,
    };
    if !FILE_FUNCTIONS.contains(&callee.as_str()) {
        return None;
    }
    let last = callee.rsplit('.').next().unwrap_or(&callee);
    if patched.iter().any(|p| p == last || p == &callee) {
        return None;
    }
    Some(format!("{callee}()"))
}

/// Names the function (or its decorators) patches: the last part of every string naming a
/// patch target, the attribute given to `patch.object`, and `open` when `mock_open` is used.
fn patched_names(ctx: &FunctionContext) -> Vec<String> {
    let source = ctx.source();
    let mut out = Vec::new();
    let scope = std::iter::once(ctx.function).chain(ctx.ancestors());
    for function in scope {
        for string in function.nodes(Kind::String) {
            if let Some(value) = string_value(source, *string)
                && !value.contains(['/', ' '])
            {
                out.push(value.rsplit('.').next().unwrap_or(&value).to_string());
            }
        }
        for identifier in function.nodes(Kind::Identifier) {
            if source.get(identifier.byte_range()) == Some("mock_open") {
                out.push("open".to_string());
            }
        }
    }
    out
}
