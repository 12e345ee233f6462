use tree_sitter::Node;

use crate::diagnostic::Diagnostic;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, ModuleContext, Rule, Severity};
use crate::security::find_secret;
use crate::syntax::{Kind, kind};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::LeakedSecret,
    code: "TQ806",
    name: "leaked-secret",
    category: Category::Security,
    default_enabled: true,
    severity: Severity::Error,
    fix: None,
    summary: "a literal that has the shape of a real credential",
    doc: r#"
### What it flags
A string literal — in a test, a helper, or a module-level constant — holding something with
the shape of a real credential:

- a PEM private key block (`-----BEGIN … PRIVATE KEY-----`) with a complete base64 body;
- an AWS access key id (`AKIA…` and the other key prefixes, 16 base32 characters);
- a GitHub token (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) whose built-in checksum is valid,
  or a fine-grained `github_pat_` token;
- a GitLab personal access token (`glpat-…`) or a Slack token (`xoxb-`, `xoxp-`… with its
  numeric team and user parts);
- a JSON Web Token whose header names a signing algorithm and whose signature is long and
  random.

"Real-looking" is the point: placeholders (`AKIAIOSFODNN7EXAMPLE`, `ghp_xxxx…`,
`xoxb-1234-abcd`, `…`-truncated keys, tokens with `fake`/`dummy`/`example` in them, repeated
or counting characters, a JWT signed with `alg: none` or with a short signature) are not
reported.

### Why it matters
A credential committed to a test file is published with the repository, copied into every
fork and CI log, and stays in history after it is deleted. Test code is where pasted-in
tokens from a debugging session end up.

### Example
```python
GITHUB_TOKEN = "ghp_…36 characters…"

def test_list_repositories():
    client = Github(GITHUB_TOKEN)
```

### Use instead
```python
def test_list_repositories(monkeypatch):
    client = Github(os.environ["GITHUB_TOKEN"])
```

Generate keys at test time (`rsa.generate_private_key(...)`) or load them from a file the
test suite marks as a test key. Revoke any real credential that was committed.

### Fix
None: the credential has to be revoked and replaced, which no edit does.

### Known limits
A private key made only for the test suite is still a real key and is reported; suppress it
with `# noqa: TQ806` when it is meant to be public. Secrets assembled from several literals at
run time are not seen.
"#,
    function_check: Some(check_function),
    module_check: Some(check_module),
    file_check: None,
};

fn check_function(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let strings = ctx
        .function
        .nodes(Kind::String)
        .iter()
        .chain(ctx.function.nodes(Kind::ConcatenatedString));
    for node in strings {
        report(ctx.source(), *node, out);
    }
}

fn check_module(ctx: &ModuleContext, out: &mut Vec<Diagnostic>) {
    for statement in &ctx.file.module_statements {
        // Walk the statement without entering blocks (their statements are module statements
        // of their own) or definitions.
        let mut stack = vec![*statement];
        let mut steps = 0;
        while let Some(node) = stack.pop() {
            steps += 1;
            if steps > 100_000 {
                break;
            }
            match kind(node) {
                Kind::String | Kind::ConcatenatedString => {
                    report(ctx.file.source, node, out);
                    continue;
                }
                Kind::Block
                | Kind::FunctionDefinition
                | Kind::ClassDefinition
                | Kind::DecoratedDefinition
                    if node != *statement =>
                {
                    continue;
                }
                _ => {}
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
    }
}

fn report(source: &str, node: Node, out: &mut Vec<Diagnostic>) {
    let Some(raw) = source.get(node.byte_range()) else {
        return;
    };
    if !crate::security::may_hold_secret(raw) {
        return;
    }
    // A string inside a concatenation is checked as part of the whole.
    if kind(node) == Kind::String
        && node
            .parent()
            .is_some_and(|p| kind(p) == Kind::ConcatenatedString)
    {
        return;
    }
    let text = crate::workspace::pytest_syntax::string_value(source, node)
        .unwrap_or_else(|| raw.to_string());
    let Some(secret) = find_secret(&text) else {
        return;
    };
    out.push(Diagnostic::new(
        RuleId::LeakedSecret,
        TextRange::of(node),
        format!(
            "String literal looks like {} ({}); keep credentials out of test code",
            secret.label, secret.shown
        ),
    ));
}
