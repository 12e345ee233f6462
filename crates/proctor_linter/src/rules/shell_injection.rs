use crate::diagnostic::Diagnostic;
use crate::model::keyword_argument;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::security::{Origin, argument, origin};
use crate::syntax::Kind;
use crate::syntax::kind;
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::ShellInjection,
    code: "TQ803",
    name: "shell-injection",
    category: Category::Security,
    default_enabled: true,
    severity: Severity::Warning,
    fix: None,
    summary: "`subprocess.*(.., shell=True)`, `os.system`, `os.popen` with a non-literal command",
    doc: r#"
### What it flags
A command built at run time — an f-string, concatenation or formatting with a variable, a
parameter, an attribute or a call — handed to a shell: `subprocess.run`/`call`/`check_call`/
`check_output`/`Popen` with `shell=True`, `subprocess.getoutput`/`getstatusoutput`,
`os.system`, `os.popen`, or `asyncio.create_subprocess_shell`.

### Why it matters
The shell interprets whatever the variable holds: a file name with a space, a `;` or a `$(...)`
in a generated path or a parametrized value runs as a command. Tests feed odd values on
purpose, and run on shared CI machines; a test that quotes by hand today breaks (or worse)
with tomorrow's fixture.

### Example
```python
def test_archive(tmp_path):
    subprocess.run(f"tar czf {tmp_path}/out.tgz data", shell=True, check=True)
```

### Use instead
```python
def test_archive(tmp_path):
    subprocess.run(["tar", "czf", tmp_path / "out.tgz", "data"], check=True)
```

### Fix
None: splitting a shell command into an argument list needs a human.

### Known limits
A command held in a module-level name, or a loop variable, is taken as written by the author
and not reported. `shell=` given as a variable is not followed. Code outside functions (a
script's `if __name__ == "__main__":` block) is not checked.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let source = ctx.source();
    for call in ctx.function.nodes(Kind::Call) {
        if !crate::security::may_call(
            ctx,
            *call,
            &[
                "run",
                "call",
                "check_call",
                "check_output",
                "Popen",
                "getoutput",
                "getstatusoutput",
                "system",
                "popen",
                "create_subprocess_shell",
            ],
        ) {
            continue;
        }
        let Some(callee) = ctx.callee(*call) else {
            continue;
        };
        let shown = match callee.as_str() {
            "subprocess.run" | "subprocess.call" | "subprocess.check_call"
            | "subprocess.check_output" | "subprocess.Popen" => {
                let shell = keyword_argument(source, *call, "shell");
                if !shell.is_some_and(|v| kind(v) == Kind::True) {
                    continue;
                }
                format!("`{callee}(..., shell=True)`")
            }
            "subprocess.getoutput" | "subprocess.getstatusoutput" | "os.system" | "os.popen"
            | "asyncio.create_subprocess_shell" => format!("`{callee}()`"),
            _ => continue,
        };
        let Some(command) = argument(source, *call, 0, &["args", "cmd", "command"]) else {
            continue;
        };
        if origin(ctx, command) != Origin::Dynamic {
            continue;
        }
        out.push(Diagnostic::new(
            RuleId::ShellInjection,
            TextRange::of(*call),
            format!(
                "{shown} in `{}` runs a command built at run time through the shell",
                ctx.function.name
            ),
        ));
    }
}
