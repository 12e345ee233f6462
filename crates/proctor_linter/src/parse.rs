//! Parsing with the pinned grammar.

use std::cell::RefCell;

use tree_sitter::{Parser, Tree};

use crate::syntax::language;

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new(new_parser());
}

/// A parser for the pinned Python grammar.
pub fn new_parser() -> Parser {
    let mut parser = Parser::new();
    // The grammar is compiled into this binary with a matching ABI (checked by the syntax
    // tests), so setting it cannot fail at run time.
    parser
        .set_language(&language())
        .expect("the pinned Python grammar is ABI-compatible");
    parser
}

/// Parses `source`, reusing `old` (already edited with `Tree::edit`) when given.
pub fn parse(source: &str, old: Option<&Tree>) -> Tree {
    PARSER.with(|parser| {
        let mut parser = parser.borrow_mut();
        match parser.parse(source, old) {
            Some(tree) => tree,
            // Only a cancelled parse returns nothing, and this parser has no cancellation; a
            // fresh parser is the safe fallback should that ever change.
            None => {
                *parser = new_parser();
                parser
                    .parse(source, None)
                    .expect("an uncancelled parse always returns a tree")
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_and_deep_input_still_parses() {
        let deep = "(".repeat(10_000) + &")".repeat(10_000);
        assert!(parse(&deep, None).root_node().end_byte() > 0);
        let broken = "def f(:\n  x = [\n";
        assert!(parse(broken, None).root_node().has_error());
    }
}
