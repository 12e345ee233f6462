//! Comments of a function, grouped the way a reader sees them.
//!
//! tree-sitter keeps comments as nodes; the unit files each one under the innermost function
//! that contains it (`function.nodes(Kind::Comment)`). Rules about comments mostly care about
//! *standalone* comments — alone on their line — and about runs of them on consecutive lines.

use tree_sitter::Node;

use crate::model::FileModel;
use crate::text::TextRange;

/// A run of standalone comments on consecutive lines (no blank line, no code in between).
#[derive(Clone, Debug)]
pub struct CommentBlock<'t> {
    pub comments: Vec<Node<'t>>,
    /// 0-based line of the first comment.
    pub first_line: usize,
    /// 0-based line of the last comment.
    pub last_line: usize,
}

impl<'t> CommentBlock<'t> {
    pub fn line_count(&self) -> usize {
        self.last_line - self.first_line + 1
    }

    /// From the first comment's `#` to the end of the last comment.
    pub fn range(&self) -> TextRange {
        match (self.comments.first(), self.comments.last()) {
            (Some(first), Some(last)) => TextRange::new(first.start_byte(), last.end_byte()),
            _ => TextRange::default(),
        }
    }

    /// The comments' text without the `#` and one following space, trailing spaces removed.
    pub fn text_lines(&self, file: &FileModel) -> Vec<String> {
        self.comments
            .iter()
            .map(|c| comment_text(file.text(*c)).to_string())
            .collect()
    }
}

/// The text of a comment without its `#` and the one space after it, trailing spaces removed.
pub fn comment_text(comment: &str) -> &str {
    let body = comment.strip_prefix('#').unwrap_or(comment);
    let body = body.strip_prefix(' ').unwrap_or(body);
    body.trim_end()
}

/// Whether the comment is alone on its line (only indentation before it).
pub fn is_standalone(file: &FileModel, comment: Node) -> bool {
    let start = comment.start_byte();
    let line_start = file.lines.line_start(file.lines.line_of(start));
    file.source
        .get(line_start..start)
        .is_some_and(|before| before.chars().all(|c| c == ' ' || c == '\t'))
}

/// Groups standalone comments (given in source order) into blocks of consecutive lines.
pub fn blocks<'t>(file: &FileModel, comments: &[Node<'t>]) -> Vec<CommentBlock<'t>> {
    let mut out: Vec<CommentBlock<'t>> = Vec::new();
    for comment in comments {
        if !is_standalone(file, *comment) {
            continue;
        }
        let line = file.lines.line_of(comment.start_byte());
        match out.last_mut() {
            Some(block) if block.last_line + 1 == line => {
                block.comments.push(*comment);
                block.last_line = line;
            }
            _ => out.push(CommentBlock {
                comments: vec![*comment],
                first_line: line,
                last_line: line,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_text_strips_the_marker() {
        assert_eq!(comment_text("# sleep"), "sleep");
        assert_eq!(comment_text("#   |  evac  "), "  |  evac");
        assert_eq!(comment_text("#"), "");
        assert_eq!(comment_text("#no space"), "no space");
    }

    #[test]
    fn blocks_split_at_blank_lines_and_code() {
        let source = "def f():\n    # a\n    # b\n\n    # c\n    x = 1  # trailing\n    # d\n";
        let tree = crate::parse::parse(source, None);
        let file = FileModel::build(&tree, source, None);
        let mut comments = Vec::new();
        let mut stack = vec![tree.root_node()];
        while let Some(node) = stack.pop() {
            if crate::syntax::kind(node) == crate::syntax::Kind::Comment {
                comments.push(node);
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
        comments.sort_by_key(|c| c.start_byte());
        let blocks = blocks(&file, &comments);
        let sizes: Vec<usize> = blocks.iter().map(|b| b.line_count()).collect();
        assert_eq!(sizes, vec![2, 1, 1]);
    }
}
