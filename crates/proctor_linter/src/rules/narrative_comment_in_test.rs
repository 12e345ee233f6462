use crate::Applicability;
use crate::comments::{CommentBlock, blocks};
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::fixes::insert_first_statement;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::syntax::Kind;
use crate::text::{indentation_at, line_ending};

pub const RULE: Rule = Rule {
    id: RuleId::NarrativeCommentInTest,
    code: "TQ106",
    name: "narrative-comment-in-test",
    category: Category::Docs,
    default_enabled: true,
    severity: Severity::Info,
    fix: Some(Applicability::Refactor),
    summary: "a long comment block inside a test that has no docstring",
    doc: r#"
### What it flags
A block of more than `max-comment-block-lines` (default 10) consecutive comment lines inside
the body of a test that has no docstring.

### Why it matters
A long comment in the middle of a test is usually the test's story: the scenario it
reproduces, the order of events it needs, why it is built the way it is. That story belongs in
the docstring, where test runners, IDEs and `help()` show it, and where a reader looks first.
Buried between two statements it is read last, if at all, and it drifts out of date as the
code around it moves.

### Example
```python
def test_evacuate_races_with_update_available_resource(self):
    server = self._create_server(...)
    # Inject some sleeps both in the Instance.drop_migration_context and
    # the MigrationList.get_in_progress_and_error code to make them
    # overlap.
    # We want to create the following execution scenario:
    # 1) The evacuation makes a move claim on the dest ...
    # ... (50 more lines)
    orig_drop = objects.Instance.drop_migration_context
```

### Use instead
```python
def test_evacuate_races_with_update_available_resource(self):
    """Evacuation keeps its PCI claim when the periodic task overlaps it.

    1) The evacuation makes a move claim on the dest ...
    """
    server = self._create_server(...)
    orig_drop = objects.Instance.drop_migration_context
```

### Fix
Refactor: moves the comment block, `#` markers removed and its line layout kept, into a new
docstring at the top of the test. Then edit it into a summary line and a description.

### Known limits
Only comments in the test's own body count, not those inside functions nested in it. Blocks
end at a blank line or a line of code.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let function = ctx.function;
    if !function.is_test() || function.docstring.is_some() {
        return;
    }
    let limit = ctx.settings.thresholds.max_comment_block_lines;
    for block in blocks(ctx.file, function.nodes(Kind::Comment)) {
        let count = block.line_count();
        if count <= limit {
            continue;
        }
        out.push(
            Diagnostic::new(
                RuleId::NarrativeCommentInTest,
                block.range(),
                format!(
                    "Test `{}` has no docstring but tells its story in {count} comment lines (lines {}-{}); move them into a docstring",
                    function.name,
                    block.first_line + 1,
                    block.last_line + 1,
                ),
            )
            .with_optional_fix(move_into_docstring(ctx, &block)),
        );
    }
}

/// Deletes the block's lines and inserts their text as the test's new docstring.
fn move_into_docstring(ctx: &FunctionContext, block: &CommentBlock) -> Option<Fix> {
    let function = ctx.function;
    let body = function.body?;
    let first = crate::model::first_statement(body)?;
    let file = ctx.file;
    let source = file.source;
    let eol = line_ending(source);
    let indent = indentation_at(source, &file.lines, first.start_byte());
    let mut text: Vec<String> = block
        .text_lines(file)
        .into_iter()
        .map(|line| escape(&line))
        .collect();
    while text.first().is_some_and(|l| l.trim().is_empty()) {
        text.remove(0);
    }
    while text.last().is_some_and(|l| l.trim().is_empty()) {
        text.pop();
    }
    let (head, rest) = text.split_first()?;
    let mut docstring = format!("\"\"\"{}", head.trim_start());
    for line in rest {
        docstring.push_str(eol);
        if !line.is_empty() {
            docstring.push_str(indent);
            docstring.push_str(line);
        }
    }
    docstring.push_str(eol);
    docstring.push_str(indent);
    docstring.push_str("\"\"\"");
    let mut edits = insert_first_statement(file, function.node, body, &docstring);
    if edits.is_empty() {
        return None;
    }
    let start = file.lines.line_start(block.first_line);
    let end = file.lines.line_start(block.last_line + 1);
    edits.push(Edit::delete(crate::text::TextRange::new(start, end)));
    Some(Fix::refactor("Move the comment block into a docstring", edits))
}

/// Keeps a comment line's text literal inside a `"""` string.
fn escape(line: &str) -> String {
    line.replace('\\', "\\\\").replace("\"\"\"", "\\\"\\\"\\\"")
}
