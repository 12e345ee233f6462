//! Assertions as the assertion rules see them.
//!
//! An [`Assertion`] is an `assert` statement, or a call of a `unittest.TestCase` (or testtools)
//! assertion method on `self`/`cls`, with its checked values and its failure message picked
//! out according to the method's signature ([`AssertMethod`]). The rules of the `assertions`
//! category read these instead of each re-deriving argument positions.
//!
//! Everything here is syntactic: a method is recognised by its name on `self`, not by resolving
//! the class hierarchy. A project's own `assertFoo` helpers are not in the table, so they are
//! never taken apart (their signatures are unknown). Other helpers here answer the questions
//! several assertion rules ask of an expression: is it a literal, is it always true, is it free
//! of side effects, and what is its text with layout and comments normalised away.

use tree_sitter::Node;

use crate::model::{call_arguments, keyword_argument};
use crate::rule::FunctionContext;
use crate::summary::is_self;
use crate::syntax::{Field, Kind, field, kind, named_children};
use crate::unit::Function;

/// What an assertion method checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// `assertTrue(x)`: `x` is truthy.
    Truthy,
    /// `assertFalse(x)`.
    Falsy,
    /// `assertEqual` and the type-specific `assert*Equal` methods.
    Equal,
    NotEqual,
    /// `assertIs`.
    Same,
    /// `assertIsNot`.
    NotSame,
    IsNone,
    IsNotNone,
    In,
    NotIn,
    IsInstance,
    NotIsInstance,
    Greater,
    GreaterEqual,
    Less,
    LessEqual,
    AlmostEqual,
    NotAlmostEqual,
    Regex,
    NotRegex,
    /// `assertCountEqual`: the same elements in any order.
    CountEqual,
    /// `assertDictContainsSubset`.
    Subset,
    /// testtools' `assertThat(matchee, matcher)`.
    Matches,
    /// `assertRaises`, `assertRaisesRegex`: the check is on the code run under it.
    Raises,
    /// `assertWarns`, `assertWarnsRegex`.
    Warns,
    /// `assertLogs`, `assertNoLogs`.
    Logs,
}

impl Check {
    /// Whether the check compares two values for order or equality (where a number literal
    /// among the operands is "compared").
    pub fn compares(self) -> bool {
        matches!(
            self,
            Check::Equal
                | Check::NotEqual
                | Check::Greater
                | Check::GreaterEqual
                | Check::Less
                | Check::LessEqual
                | Check::AlmostEqual
                | Check::NotAlmostEqual
        )
    }
}

/// An assertion method of `unittest.TestCase` or `testtools.TestCase`.
#[derive(Debug)]
pub struct AssertMethod {
    pub name: &'static str,
    pub check: Check,
    /// How many leading positional arguments are the checked values.
    pub operands: usize,
    /// Where the failure message goes when it is passed positionally. `None` for the methods
    /// whose failure already says what was expected (`assertRaises`, `assertWarns`,
    /// `assertLogs`): they take a message only as `msg=` in their context-manager form.
    pub message_position: Option<usize>,
}

const fn method(
    name: &'static str,
    check: Check,
    operands: usize,
    message_position: Option<usize>,
) -> AssertMethod {
    AssertMethod {
        name,
        check,
        operands,
        message_position,
    }
}

/// Every assertion method Proctor knows the signature of, deprecated aliases included. The
/// message is `msg` in unittest and `message` in testtools; the positions agree.
pub static ASSERT_METHODS: &[AssertMethod] = &[
    method("assertTrue", Check::Truthy, 1, Some(1)),
    method("assert_", Check::Truthy, 1, Some(1)),
    method("failUnless", Check::Truthy, 1, Some(1)),
    method("assertFalse", Check::Falsy, 1, Some(1)),
    method("failIf", Check::Falsy, 1, Some(1)),
    method("assertEqual", Check::Equal, 2, Some(2)),
    method("assertEquals", Check::Equal, 2, Some(2)),
    method("failUnlessEqual", Check::Equal, 2, Some(2)),
    method("assertMultiLineEqual", Check::Equal, 2, Some(2)),
    method("assertSequenceEqual", Check::Equal, 2, Some(2)),
    method("assertListEqual", Check::Equal, 2, Some(2)),
    method("assertTupleEqual", Check::Equal, 2, Some(2)),
    method("assertSetEqual", Check::Equal, 2, Some(2)),
    method("assertDictEqual", Check::Equal, 2, Some(2)),
    method("assertNotEqual", Check::NotEqual, 2, Some(2)),
    method("assertNotEquals", Check::NotEqual, 2, Some(2)),
    method("failIfEqual", Check::NotEqual, 2, Some(2)),
    method("assertIs", Check::Same, 2, Some(2)),
    method("assertIsNot", Check::NotSame, 2, Some(2)),
    method("assertIsNone", Check::IsNone, 1, Some(1)),
    method("assertIsNotNone", Check::IsNotNone, 1, Some(1)),
    method("assertIn", Check::In, 2, Some(2)),
    method("assertNotIn", Check::NotIn, 2, Some(2)),
    method("assertIsInstance", Check::IsInstance, 2, Some(2)),
    method("assertNotIsInstance", Check::NotIsInstance, 2, Some(2)),
    method("assertGreater", Check::Greater, 2, Some(2)),
    method("assertGreaterEqual", Check::GreaterEqual, 2, Some(2)),
    method("assertLess", Check::Less, 2, Some(2)),
    method("assertLessEqual", Check::LessEqual, 2, Some(2)),
    // `assertAlmostEqual(first, second, places=None, msg=None, delta=None)`.
    method("assertAlmostEqual", Check::AlmostEqual, 2, Some(3)),
    method("assertAlmostEquals", Check::AlmostEqual, 2, Some(3)),
    method("failUnlessAlmostEqual", Check::AlmostEqual, 2, Some(3)),
    method("assertNotAlmostEqual", Check::NotAlmostEqual, 2, Some(3)),
    method("assertNotAlmostEquals", Check::NotAlmostEqual, 2, Some(3)),
    method("failIfAlmostEqual", Check::NotAlmostEqual, 2, Some(3)),
    method("assertRegex", Check::Regex, 2, Some(2)),
    method("assertRegexpMatches", Check::Regex, 2, Some(2)),
    method("assertNotRegex", Check::NotRegex, 2, Some(2)),
    method("assertNotRegexpMatches", Check::NotRegex, 2, Some(2)),
    method("assertCountEqual", Check::CountEqual, 2, Some(2)),
    method("assertItemsEqual", Check::CountEqual, 2, Some(2)),
    method("assertDictContainsSubset", Check::Subset, 2, Some(2)),
    method("assertThat", Check::Matches, 2, Some(2)),
    method("assertRaises", Check::Raises, 1, None),
    method("failUnlessRaises", Check::Raises, 1, None),
    method("assertRaisesRegex", Check::Raises, 2, None),
    method("assertRaisesRegexp", Check::Raises, 2, None),
    method("assertWarns", Check::Warns, 1, None),
    method("assertWarnsRegex", Check::Warns, 2, None),
    method("assertLogs", Check::Logs, 0, None),
    method("assertNoLogs", Check::Logs, 0, None),
];

/// The assertion method called `name`.
pub fn assert_method(name: &str) -> Option<&'static AssertMethod> {
    ASSERT_METHODS.iter().find(|m| m.name == name)
}

/// A call of a known assertion method on `self` or `cls`.
#[derive(Clone, Debug)]
pub struct MethodAssertion<'t> {
    pub call: Node<'t>,
    pub method: &'static AssertMethod,
    /// The method's name in the callee (`assertEqual` of `self.assertEqual`).
    pub name: Node<'t>,
    /// The checked values among the positional arguments, in order (fewer than
    /// `method.operands` when the call is incomplete or passes `*args`).
    pub operands: Vec<Node<'t>>,
    /// The failure message, positional or `msg=`/`message=`.
    pub message: Option<Node<'t>>,
    /// The call passes `*args` or `**kwargs`, which may hold operands or the message.
    pub has_splat: bool,
}

/// An `assert` statement.
#[derive(Clone, Debug)]
pub struct StatementAssertion<'t> {
    pub node: Node<'t>,
    pub condition: Node<'t>,
    pub message: Option<Node<'t>>,
}

/// One assertion: an `assert` statement or an assertion method call.
#[derive(Clone, Debug)]
pub enum Assertion<'t> {
    Statement(StatementAssertion<'t>),
    Method(MethodAssertion<'t>),
}

impl<'t> Assertion<'t> {
    /// The `assert_statement` or the `call`.
    pub fn node(&self) -> Node<'t> {
        match self {
            Assertion::Statement(s) => s.node,
            Assertion::Method(m) => m.call,
        }
    }

    /// Whether the assertion says, on failure, which check it was: it has a message, or may
    /// have one through `*args`/`**kwargs`.
    pub fn has_message(&self) -> bool {
        match self {
            Assertion::Statement(s) => s.message.is_some(),
            Assertion::Method(m) => m.message.is_some() || m.has_splat,
        }
    }
}

/// Reads `call` as an assertion method call on `self`/`cls`.
pub fn method_assertion<'t>(source: &str, call: Node<'t>) -> Option<MethodAssertion<'t>> {
    let callee = field(call, Field::Function)?;
    if kind(callee) != Kind::Attribute
        || !field(callee, Field::Object).is_some_and(|o| is_self(source, o))
    {
        return None;
    }
    let name = field(callee, Field::Attribute)?;
    let method = assert_method(source.get(name.byte_range())?)?;
    // `f(x for x in y)`: the argument is a generator, not an argument list.
    if field(call, Field::Arguments).map(kind) != Some(Kind::ArgumentList) {
        return None;
    }
    let arguments = call_arguments(call);
    let has_splat = arguments
        .iter()
        .any(|a| matches!(kind(*a), Kind::ListSplat | Kind::DictionarySplat));
    let positional: Vec<Node<'t>> = arguments
        .into_iter()
        .take_while(|a| {
            !matches!(
                kind(*a),
                Kind::KeywordArgument | Kind::ListSplat | Kind::DictionarySplat
            )
        })
        .collect();
    let operands = positional.iter().take(method.operands).copied().collect();
    let message = method
        .message_position
        .and_then(|at| positional.get(at).copied())
        .or_else(|| keyword_argument(source, call, "msg"))
        .or_else(|| keyword_argument(source, call, "message"));
    Some(MethodAssertion {
        call,
        method,
        name,
        operands,
        message,
        has_splat,
    })
}

/// Reads an `assert_statement`.
pub fn statement_assertion(statement: Node) -> Option<StatementAssertion> {
    if kind(statement) != Kind::AssertStatement {
        return None;
    }
    let mut parts = named_children(statement);
    let condition = parts.next()?;
    Some(StatementAssertion {
        node: statement,
        condition,
        message: parts.next(),
    })
}

/// The assertions in a function's own body (not in functions nested in it), in source order.
pub fn assertions<'t>(source: &str, function: &Function<'t>) -> Vec<Assertion<'t>> {
    let mut out: Vec<Assertion<'t>> = function
        .nodes(Kind::AssertStatement)
        .iter()
        .filter_map(|s| statement_assertion(*s).map(Assertion::Statement))
        .collect();
    out.extend(
        function
            .nodes(Kind::Call)
            .iter()
            .filter_map(|c| method_assertion(source, *c).map(Assertion::Method)),
    );
    out.sort_by_key(|a| a.node().start_byte());
    out
}

/// A call of a mock's assertion method: `m.assert_called_once_with(..)`, `m.assert_not_called()`.
pub fn is_mock_assertion(source: &str, call: Node) -> bool {
    let Some(callee) = field(call, Field::Function).filter(|c| kind(*c) == Kind::Attribute) else {
        return false;
    };
    field(callee, Field::Attribute)
        .and_then(|a| source.get(a.byte_range()))
        .is_some_and(|name| name.starts_with("assert_"))
        && field(callee, Field::Object).is_some_and(|o| !is_self(source, o))
}

/// `self.fail(..)` or `pytest.fail(..)`.
pub fn is_failure_call(ctx: &FunctionContext, call: Node) -> bool {
    let Some(callee) = field(call, Field::Function) else {
        return false;
    };
    if kind(callee) == Kind::Attribute
        && field(callee, Field::Object).is_some_and(|o| is_self(ctx.source(), o))
        && field(callee, Field::Attribute).is_some_and(|a| ctx.text(a) == "fail")
    {
        return true;
    }
    ctx.callee(call).as_deref() == Some("pytest.fail")
}

/// A statement that fails the test unconditionally: `self.fail(..)`, `pytest.fail(..)`,
/// `assert False`, `self.assertTrue(False)`, `raise AssertionError(..)`,
/// `raise self.failureException(..)`.
pub fn is_failure_statement(ctx: &FunctionContext, statement: Node) -> bool {
    let source = ctx.source();
    match kind(statement) {
        Kind::ExpressionStatement => {
            let Some(call) = statement.named_child(0).filter(|c| kind(*c) == Kind::Call) else {
                return false;
            };
            if is_failure_call(ctx, call) {
                return true;
            }
            let Some(assertion) = method_assertion(source, call) else {
                return false;
            };
            let truth = assertion
                .operands
                .first()
                .and_then(|o| literal_truth(source, *o));
            matches!(
                (assertion.method.check, truth),
                (Check::Truthy, Some(false)) | (Check::Falsy, Some(true))
            )
        }
        Kind::AssertStatement => statement_assertion(statement)
            .is_some_and(|a| literal_truth(source, a.condition) == Some(false)),
        Kind::RaiseStatement => statement.named_child(0).is_some_and(|raised| {
            let class = if kind(raised) == Kind::Call {
                field(raised, Field::Function)
            } else {
                Some(raised)
            };
            class
                .and_then(|c| source.get(c.byte_range()))
                .is_some_and(|t| t == "AssertionError" || t == "self.failureException")
        }),
        _ => false,
    }
}

/// Strips any number of parentheses around an expression.
pub fn unparenthesized(node: Node) -> Node {
    let mut current = node;
    // Bounded by the depth of the parentheses, which the tree holds.
    while kind(current) == Kind::ParenthesizedExpression {
        match named_children(current).next() {
            Some(inner) => current = inner,
            None => break,
        }
    }
    current
}

/// The truth value of an expression whose truth is fixed by its syntax: `True`, `None`,
/// number and string literals, non-empty or empty tuple/list/dict/set displays, lambdas, `...`,
/// and `not` of any of these. `None` when it depends on values.
pub fn literal_truth(source: &str, node: Node) -> Option<bool> {
    // Peel `not` and parentheses in a loop (bounded by the tree) rather than recursing.
    let mut node = unparenthesized(node);
    let mut negated = false;
    while kind(node) == Kind::NotOperator {
        node = unparenthesized(field(node, Field::Argument)?);
        negated = !negated;
    }
    literal_truth_of(source, node).map(|t| t != negated)
}

fn literal_truth_of(source: &str, node: Node) -> Option<bool> {
    match kind(node) {
        Kind::True | Kind::Ellipsis | Kind::Lambda => Some(true),
        Kind::False | Kind::None => Some(false),
        Kind::Integer | Kind::Float => number_value(source, node).map(|v| v != 0.0),
        Kind::UnaryOperator => {
            let argument = field(node, Field::Argument)?;
            matches!(kind(argument), Kind::Integer | Kind::Float)
                .then(|| number_value(source, argument).map(|v| v != 0.0))
                .flatten()
        }
        Kind::String => string_truth(node),
        Kind::ConcatenatedString => {
            let mut all_false = true;
            for part in named_children(node) {
                match string_truth(part) {
                    Some(true) => return Some(true),
                    Some(false) => {}
                    None => all_false = false,
                }
            }
            all_false.then_some(false)
        }
        Kind::Tuple | Kind::List | Kind::Set | Kind::Dictionary => {
            let mut elements = named_children(node).peekable();
            if elements.peek().is_none() {
                return Some(false);
            }
            // `(*a,)` and `{**d}` may be empty; any plain element makes the display non-empty.
            elements
                .any(|e| !matches!(kind(e), Kind::ListSplat | Kind::DictionarySplat))
                .then_some(true)
        }
        _ => None,
    }
}

/// Whether a string literal is non-empty: `Some(true)` when it has text outside any
/// interpolation, `Some(false)` when it is `""`, `None` for an f-string of interpolations only.
fn string_truth(string: Node) -> Option<bool> {
    let mut has_interpolation = false;
    for part in named_children(string) {
        match kind(part) {
            Kind::StringContent | Kind::EscapeSequence if part.end_byte() > part.start_byte() => {
                return Some(true);
            }
            Kind::Interpolation => has_interpolation = true,
            _ => {}
        }
    }
    (!has_interpolation).then_some(false)
}

/// The value of an `integer` or `float` literal, or of one with a unary sign.
pub fn number_value(source: &str, node: Node) -> Option<f64> {
    match kind(node) {
        Kind::UnaryOperator => {
            let argument = field(node, Field::Argument)?;
            if !matches!(kind(argument), Kind::Integer | Kind::Float) {
                return None;
            }
            let value = number_value(source, argument)?;
            let operator = node.child(0)?;
            match operator.kind() {
                "-" => Some(-value),
                "+" => Some(value),
                _ => None,
            }
        }
        Kind::Integer | Kind::Float => parse_number(source.get(node.byte_range())?),
        _ => None,
    }
}

/// Parses a Python number literal (`1_000`, `0x1F`, `1e3`, `2.5`); `None` for imaginary ones.
fn parse_number(text: &str) -> Option<f64> {
    let cleaned: String = text
        .chars()
        .filter(|c| *c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    let cleaned = cleaned.trim_end_matches('l');
    if cleaned.ends_with('j') {
        return None;
    }
    let radix = |prefix: &str, radix: u32| {
        cleaned
            .strip_prefix(prefix)
            .map(|digits| u64::from_str_radix(digits, radix).ok().map(|v| v as f64))
    };
    if let Some(value) = radix("0x", 16)
        .or_else(|| radix("0o", 8))
        .or_else(|| radix("0b", 2))
    {
        return value;
    }
    cleaned.parse::<f64>().ok()
}

/// Whether an expression is a literal constant: a number (signed or not), a string without
/// interpolation, `True`, `False`, `None` or `...`.
pub fn is_constant(source: &str, node: Node) -> bool {
    let node = unparenthesized(node);
    match kind(node) {
        Kind::True | Kind::False | Kind::None | Kind::Ellipsis | Kind::Integer | Kind::Float => {
            true
        }
        Kind::UnaryOperator => number_value(source, node).is_some(),
        Kind::String => !named_children(node).any(|p| kind(p) == Kind::Interpolation),
        Kind::ConcatenatedString => {
            named_children(node).all(|s| !named_children(s).any(|p| kind(p) == Kind::Interpolation))
        }
        _ => false,
    }
}

/// Builtins that read their arguments without changing them or consuming an iterator.
const PURE_BUILTINS: &[&str] = &[
    "len",
    "str",
    "repr",
    "int",
    "float",
    "bool",
    "isinstance",
    "issubclass",
    "type",
    "abs",
    "hasattr",
    "getattr",
    "callable",
];

/// Whether evaluating `node` cannot change state the next evaluation sees: names, attributes,
/// subscripts, literals, operators and calls of [`PURE_BUILTINS`] only — no other call, no
/// `await`, `yield`, `:=` or lambda. (Properties with side effects are not seen.)
pub fn is_pure_expression(source: &str, node: Node) -> bool {
    let mut stack = vec![node];
    while let Some(current) = stack.pop() {
        match kind(current) {
            Kind::Call => {
                let builtin = field(current, Field::Function)
                    .filter(|f| kind(*f) == Kind::Identifier)
                    .and_then(|f| source.get(f.byte_range()))
                    .is_some_and(|name| PURE_BUILTINS.contains(&name));
                if !builtin {
                    return false;
                }
                if let Some(arguments) = field(current, Field::Arguments) {
                    stack.push(arguments);
                }
                continue;
            }
            Kind::Await | Kind::Yield | Kind::NamedExpression | Kind::Lambda | Kind::Error => {
                return false;
            }
            _ => {}
        }
        if current.is_missing() {
            return false;
        }
        let mut cursor = current.walk();
        stack.extend(current.named_children(&mut cursor));
    }
    true
}

/// The text of a node as its tokens separated by single spaces: layout, comments and the quote
/// style of strings and trailing commas do not matter (`f(a,\n  b,)  # x` and `f(a, b)`
/// normalise alike).
pub fn normalized_text(source: &str, node: Node) -> String {
    let mut out = String::new();
    let mut cursor = node.walk();
    loop {
        let current = cursor.node();
        let is_comment = kind(current) == Kind::Comment;
        if !is_comment && (current.child_count() == 0 || kind(current) == Kind::StringContent) {
            let text = source.get(current.byte_range()).unwrap_or("");
            // A trailing comma before a closing bracket is layout too.
            if matches!(text, ")" | "]" | "}") && out.ends_with(" ,") {
                out.truncate(out.len() - 2);
            }
            if !out.is_empty() {
                out.push(' ');
            }
            if matches!(kind(current), Kind::StringStart | Kind::StringEnd) {
                out.push_str(&text.replace('\'', "\""));
            } else {
                out.push_str(text);
            }
        }
        let descend =
            !is_comment && kind(current) != Kind::StringContent && cursor.goto_first_child();
        if descend {
            continue;
        }
        loop {
            if cursor.node() == node {
                return out;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expression(source: &str) -> (tree_sitter::Tree, String) {
        (crate::parse::parse(source, None), source.to_string())
    }

    fn first_expression(tree: &tree_sitter::Tree) -> Node<'_> {
        let statement = tree.root_node().named_child(0).expect("statement");
        statement.named_child(0).expect("expression")
    }

    #[test]
    fn truth_of_literals() {
        let cases = [
            ("True\n", Some(true)),
            ("None\n", Some(false)),
            ("0\n", Some(false)),
            ("0.0\n", Some(false)),
            ("0x0\n", Some(false)),
            ("-3\n", Some(true)),
            ("'text'\n", Some(true)),
            ("''\n", Some(false)),
            ("f'{x}'\n", None),
            ("f'a{x}'\n", Some(true)),
            ("'' ''\n", Some(false)),
            ("(a, b)\n", Some(true)),
            ("()\n", Some(false)),
            ("[*a]\n", None),
            ("{**a, 'k': 1}\n", Some(true)),
            ("not 0\n", Some(true)),
            ("(((1)))\n", Some(true)),
            ("x\n", None),
            ("1j\n", None),
        ];
        for (source, expected) in cases {
            let (tree, text) = expression(source);
            assert_eq!(
                literal_truth(&text, first_expression(&tree)),
                expected,
                "{source:?}"
            );
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("1_000"), Some(1000.0));
        assert_eq!(parse_number("0x1F"), Some(31.0));
        assert_eq!(parse_number("0o17"), Some(15.0));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(parse_number("2.5"), Some(2.5));
        assert_eq!(parse_number("3j"), None);
    }

    #[test]
    fn normalised_text_ignores_layout_comments_and_quotes() {
        let (tree, text) = expression("f(a,\n  'b',)  # x\n");
        let (tree2, text2) = expression("f(a, \"b\")\n");
        assert_eq!(
            normalized_text(&text, first_expression(&tree)),
            normalized_text(&text2, first_expression(&tree2))
        );
        assert_eq!(
            normalized_text(&text2, first_expression(&tree2)),
            "f ( a , \" b \" )"
        );
    }

    #[test]
    fn purity() {
        for (source, pure) in [
            ("a.b[1] + len(c)\n", true),
            ("next(it)\n", false),
            ("x.get()\n", false),
            ("(y := 2)\n", false),
            ("list(it)\n", false),
        ] {
            let (tree, text) = expression(source);
            assert_eq!(
                is_pure_expression(&text, first_expression(&tree)),
                pure,
                "{source:?}"
            );
        }
    }

    #[test]
    fn methods_have_messages_where_unittest_puts_them() {
        assert_eq!(
            assert_method("assertEqual").and_then(|m| m.message_position),
            Some(2)
        );
        assert_eq!(
            assert_method("assertAlmostEqual").and_then(|m| m.message_position),
            Some(3)
        );
        assert_eq!(
            assert_method("assertTrue").and_then(|m| m.message_position),
            Some(1)
        );
        assert_eq!(
            assert_method("assertRaises").and_then(|m| m.message_position),
            None
        );
        assert!(assert_method("assertFoo").is_none());
    }
}
