use std::collections::HashSet;

use tree_sitter::Node;

use crate::comments::{blocks, comment_text};
use crate::diagnostic::Diagnostic;
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, Rule, Severity};
use crate::syntax::{Field, Kind, field, is_statement, kind};
use crate::text::TextRange;

pub const RULE: Rule = Rule {
    id: RuleId::RestatingComment,
    code: "TQ105",
    name: "restating-comment",
    category: Category::Docs,
    default_enabled: false,
    severity: Severity::Info,
    fix: None,
    summary: "a comment that only restates the identifiers of the statement under it",
    doc: r#"
### What it flags
A one-line comment, alone on its line inside a function, whose words are all found among the
identifiers of the statement right under it: `# sleep` over `time.sleep(1)`, `# create server`
over `server = create_server()`. Articles and a few linking words (`the`, `a`, `to`, `of`…)
are ignored, and word endings are compared loosely (`creates` matches `create_server`).

### Why it matters
A comment that repeats the code says nothing the code does not, and it costs a line of
reading. Worse, it takes the place where the *why* should be: why the test sleeps, what the
server is for. `# sleep` over `time.sleep(1)` hides the real question — what is being waited
for, and why one second is enough.

### Example
```python
# sleep
time.sleep(1)
# create server
server = self._create_server()
```

### Use instead
```python
# Let the periodic task start before the evacuation finishes.
time.sleep(1)
server = self._create_server()
```

### Fix
None: only the author knows the missing *why*. Rewrite the comment to say it, or delete it.

### Known limits
Off by default: short labelling comments are a matter of taste. Only single-line comments
directly above a statement count; comment blocks, trailing comments, and comments above a
`def` or `class` are left alone. For a compound statement only its header (`if x:`,
`for a in b:`) is compared. Comments outside functions are not checked.
"#,
    function_check: Some(check),
    module_check: None,
    file_check: None,
};

/// Words a comment may add without saying anything.
const STOPWORDS: &[&str] = &[
    "a", "an", "the", "to", "of", "and", "for", "in", "on", "with", "from", "by", "it", "this",
    "is", "be",
];

/// Comment prefixes that are directives, not prose.
const DIRECTIVES: &[&str] = &[
    "noqa", "type:", "pylint", "pragma", "fmt:", "isort", "mypy", "pyright", "expect:", "todo",
    "fixme", "xxx", "note", "hack", "nosec", "-*-", "!",
];

fn check(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let function = ctx.function;
    let file = ctx.file;
    for block in blocks(file, function.nodes(Kind::Comment)) {
        let [comment] = block.comments.as_slice() else {
            continue;
        };
        let raw = without_trailing_directive(file.text(*comment));
        let text = comment_text(raw);
        let lowered = text.trim().to_ascii_lowercase();
        if lowered.is_empty() || DIRECTIVES.iter().any(|d| lowered.starts_with(d)) {
            continue;
        }
        let Some(words) = comment_words(text) else {
            continue;
        };
        let Some(statement) = statement_below(ctx, block.last_line) else {
            continue;
        };
        let identifier_words = statement_words(ctx, statement);
        if identifier_words.is_empty() {
            continue;
        }
        if words.iter().all(|w| identifier_words.contains(&stem(w))) {
            out.push(Diagnostic::new(
                RuleId::RestatingComment,
                TextRange::of(*comment),
                format!(
                    "Comment `{}` only restates `{}`; say why instead, or delete it",
                    raw.trim(),
                    first_line(file.text(statement)),
                ),
            ));
        }
    }
}

/// The comment without a directive that follows it (`# sleep  # noqa: TQ105` → `# sleep`).
fn without_trailing_directive(comment: &str) -> &str {
    let mut search = 1;
    while let Some(at) = comment.get(search..).and_then(|rest| rest.find('#')) {
        let at = search + at;
        let after = comment[at + 1..].trim_start().to_ascii_lowercase();
        if DIRECTIVES.iter().any(|d| after.starts_with(d)) {
            return comment[..at].trim_end();
        }
        search = at + 1;
    }
    comment
}

/// The comment's words, lower-cased, stopwords removed; `None` when it holds anything but
/// words (numbers, code, punctuation beyond a final full stop) or no words at all.
fn comment_words(text: &str) -> Option<Vec<String>> {
    let text = text.trim().trim_end_matches(['.', ':']);
    let mut words = Vec::new();
    for word in text.split_whitespace() {
        if !word.chars().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        let lower = word.to_ascii_lowercase();
        if !STOPWORDS.contains(&lower.as_str()) {
            words.push(lower);
        }
    }
    (!words.is_empty() && words.len() <= 8).then_some(words)
}

/// The statement starting on the line after `line`, if the next line starts one.
fn statement_below<'t>(ctx: &FunctionContext<'_, 't>, line: usize) -> Option<Node<'t>> {
    let file = ctx.file;
    let range = file.lines.line_range(line + 1, file.source);
    let text = file.source.get(range.as_range())?;
    let indent = text.len() - text.trim_start_matches([' ', '\t']).len();
    if text.trim().is_empty() {
        return None;
    }
    let start = range.start + indent;
    let mut node = file
        .tree
        .root_node()
        .named_descendant_for_byte_range(start, start)?;
    // Climb to the outermost statement that starts here.
    let mut found = None;
    loop {
        if node.start_byte() != start {
            break;
        }
        if is_statement(kind(node)) {
            found = Some(node);
        }
        match node.parent() {
            Some(parent) => node = parent,
            None => break,
        }
    }
    let statement = found?;
    if matches!(
        kind(statement),
        Kind::FunctionDefinition | Kind::ClassDefinition | Kind::DecoratedDefinition
    ) || !TextRange::of(ctx.function.node).contains(statement.start_byte())
    {
        return None;
    }
    Some(statement)
}

/// Stems of the words of the identifiers in the statement (only its header for a compound
/// statement).
fn statement_words(ctx: &FunctionContext, statement: Node) -> HashSet<String> {
    let end = header_end(statement);
    let mut words = HashSet::new();
    for identifier in ctx.function.nodes(Kind::Identifier) {
        if identifier.start_byte() < statement.start_byte() || identifier.end_byte() > end {
            continue;
        }
        for word in split_words(ctx.text(*identifier)) {
            words.insert(stem(&word));
        }
    }
    words
}

/// Where the header of a compound statement ends (its first block), else the statement's end.
fn header_end(statement: Node) -> usize {
    let body = field(statement, Field::Body).or_else(|| field(statement, Field::Consequence));
    match body {
        Some(body) => body.start_byte(),
        None => {
            let mut cursor = statement.walk();
            let block = statement
                .named_children(&mut cursor)
                .find(|c| kind(*c) == Kind::Block);
            block.map_or(statement.end_byte(), |b| b.start_byte())
        }
    }
}

/// `create_server` → `create`, `server`; `getHTTPResponse` → `get`, `http`, `response`.
pub fn split_words(identifier: &str) -> Vec<String> {
    let mut words = Vec::new();
    for part in identifier.split('_').filter(|p| !p.is_empty()) {
        let chars: Vec<char> = part.chars().collect();
        let mut current = String::new();
        for (i, c) in chars.iter().enumerate() {
            let previous = i.checked_sub(1).and_then(|p| chars.get(p));
            let boundary = c.is_uppercase()
                && !current.is_empty()
                && (previous.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                    || chars.get(i + 1).is_some_and(|n| n.is_lowercase()));
            if boundary {
                words.push(std::mem::take(&mut current).to_lowercase());
            }
            current.push(*c);
        }
        if !current.is_empty() {
            words.push(current.to_lowercase());
        }
    }
    words
}

/// A crude stem, enough to match `creates`, `creating` and `created` with `create`.
fn stem(word: &str) -> String {
    let mut word = word.to_ascii_lowercase();
    for suffix in ["ing", "ed", "es", "s"] {
        if word.len() > suffix.len() + 2 && word.ends_with(suffix) {
            word.truncate(word.len() - suffix.len());
            break;
        }
    }
    if word.len() > 3 && word.ends_with('e') {
        word.pop();
    }
    word
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim_end();
    let shortened: String = line.chars().take(60).collect();
    if shortened.len() < line.len() || text.lines().nth(1).is_some() {
        format!("{shortened}…")
    } else {
        shortened
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_split_into_words() {
        assert_eq!(split_words("create_server"), vec!["create", "server"]);
        assert_eq!(
            split_words("getHTTPResponse"),
            vec!["get", "http", "response"]
        );
        assert_eq!(split_words("_private"), vec!["private"]);
    }

    #[test]
    fn stems_match_inflections() {
        for word in ["creates", "creating", "created", "create"] {
            assert_eq!(stem(word), "creat", "{word}");
        }
        assert_eq!(stem("sleeps"), stem("sleep"));
        assert_eq!(stem("is"), "is");
    }

    #[test]
    fn trailing_directives_are_not_words() {
        assert_eq!(without_trailing_directive("# sleep  # noqa: TQ105"), "# sleep");
        assert_eq!(without_trailing_directive("# see bug #1896463"), "# see bug #1896463");
    }

    #[test]
    fn comments_with_more_than_words_are_prose() {
        assert_eq!(
            comment_words("Create the server."),
            Some(vec!["create".to_string(), "server".to_string()])
        );
        assert_eq!(comment_words("wait 1 second"), None);
        assert_eq!(comment_words("see bug #1896463"), None);
        assert_eq!(comment_words("the"), None);
    }
}
