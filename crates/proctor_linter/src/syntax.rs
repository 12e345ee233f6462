//! Every tree-sitter node kind and field name Proctor uses, in one place.
//!
//! Rules never compare `node.kind()` against string literals: they match on [`Kind`], which is
//! resolved from the pinned grammar's numeric ids once per process. A test checks that each name
//! here exists in the grammar, so a grammar upgrade that renames a kind fails loudly instead of
//! silently matching nothing.
//!
//! [`field`] is how every rule reads a node's fields; a [`FieldMemo`] makes repeated lookups on
//! one tree cheap.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::marker::PhantomData;
use std::num::NonZeroU16;
use std::sync::LazyLock;

use tree_sitter::{Language, Node, Tree};

/// The pinned Python grammar.
pub fn language() -> Language {
    tree_sitter_python::LANGUAGE.into()
}

macro_rules! node_kinds {
    ($($variant:ident = $name:literal),* $(,)?) => {
        /// The named node kinds of the Python grammar that Proctor looks at.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Kind {
            $($variant,)*
            /// Any named kind not listed here, and every anonymous token.
            Other,
        }

        impl Kind {
            /// Every listed kind (not [`Kind::Other`]).
            pub const ALL: &'static [Kind] = &[$(Kind::$variant,)*];

            /// The grammar's name for this kind.
            pub fn name(self) -> &'static str {
                match self {
                    $(Kind::$variant => $name,)*
                    Kind::Other => "<other>",
                }
            }

            fn from_name(name: &str) -> Kind {
                match name {
                    $($name => Kind::$variant,)*
                    _ => Kind::Other,
                }
            }
        }
    };
}

node_kinds! {
    Module = "module",
    Comment = "comment",
    // statements
    ExpressionStatement = "expression_statement",
    ImportStatement = "import_statement",
    ImportFromStatement = "import_from_statement",
    FutureImportStatement = "future_import_statement",
    AliasedImport = "aliased_import",
    WildcardImport = "wildcard_import",
    RelativeImport = "relative_import",
    DottedName = "dotted_name",
    AssertStatement = "assert_statement",
    ReturnStatement = "return_statement",
    RaiseStatement = "raise_statement",
    PassStatement = "pass_statement",
    BreakStatement = "break_statement",
    ContinueStatement = "continue_statement",
    DeleteStatement = "delete_statement",
    GlobalStatement = "global_statement",
    NonlocalStatement = "nonlocal_statement",
    PrintStatement = "print_statement",
    ExecStatement = "exec_statement",
    TypeAliasStatement = "type_alias_statement",
    IfStatement = "if_statement",
    ElifClause = "elif_clause",
    ElseClause = "else_clause",
    ForStatement = "for_statement",
    WhileStatement = "while_statement",
    TryStatement = "try_statement",
    ExceptClause = "except_clause",
    FinallyClause = "finally_clause",
    WithStatement = "with_statement",
    WithClause = "with_clause",
    WithItem = "with_item",
    AsPattern = "as_pattern",
    AsPatternTarget = "as_pattern_target",
    MatchStatement = "match_statement",
    CaseClause = "case_clause",
    FunctionDefinition = "function_definition",
    ClassDefinition = "class_definition",
    DecoratedDefinition = "decorated_definition",
    Decorator = "decorator",
    Block = "block",
    // parameters
    Parameters = "parameters",
    DefaultParameter = "default_parameter",
    TypedParameter = "typed_parameter",
    TypedDefaultParameter = "typed_default_parameter",
    ListSplatPattern = "list_splat_pattern",
    DictionarySplatPattern = "dictionary_splat_pattern",
    KeywordSeparator = "keyword_separator",
    PositionalSeparator = "positional_separator",
    LambdaParameters = "lambda_parameters",
    Type = "type",
    // expressions
    Assignment = "assignment",
    AugmentedAssignment = "augmented_assignment",
    NamedExpression = "named_expression",
    Call = "call",
    ArgumentList = "argument_list",
    KeywordArgument = "keyword_argument",
    ListSplat = "list_splat",
    DictionarySplat = "dictionary_splat",
    Attribute = "attribute",
    Subscript = "subscript",
    Identifier = "identifier",
    String = "string",
    StringStart = "string_start",
    StringContent = "string_content",
    StringEnd = "string_end",
    EscapeSequence = "escape_sequence",
    Interpolation = "interpolation",
    ConcatenatedString = "concatenated_string",
    Integer = "integer",
    Float = "float",
    True = "true",
    False = "false",
    None = "none",
    Ellipsis = "ellipsis",
    Lambda = "lambda",
    Await = "await",
    Yield = "yield",
    BinaryOperator = "binary_operator",
    BooleanOperator = "boolean_operator",
    ComparisonOperator = "comparison_operator",
    NotOperator = "not_operator",
    UnaryOperator = "unary_operator",
    ConditionalExpression = "conditional_expression",
    ParenthesizedExpression = "parenthesized_expression",
    Tuple = "tuple",
    List = "list",
    Set = "set",
    Dictionary = "dictionary",
    Pair = "pair",
    ListComprehension = "list_comprehension",
    DictionaryComprehension = "dictionary_comprehension",
    SetComprehension = "set_comprehension",
    GeneratorExpression = "generator_expression",
    ExpressionList = "expression_list",
    PatternList = "pattern_list",
    TuplePattern = "tuple_pattern",
    ListPattern = "list_pattern",
    Error = "ERROR",
}

/// The field names Proctor reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Name,
    Body,
    Parameters,
    ReturnType,
    Superclasses,
    Definition,
    Function,
    Arguments,
    Object,
    Attribute,
    Left,
    Right,
    Type,
    Value,
    Alias,
    ModuleName,
    Condition,
    Consequence,
    Alternative,
    Operator,
    Argument,
    Subject,
}

impl Field {
    pub const ALL: &'static [Field] = &[
        Field::Name,
        Field::Body,
        Field::Parameters,
        Field::ReturnType,
        Field::Superclasses,
        Field::Definition,
        Field::Function,
        Field::Arguments,
        Field::Object,
        Field::Attribute,
        Field::Left,
        Field::Right,
        Field::Type,
        Field::Value,
        Field::Alias,
        Field::ModuleName,
        Field::Condition,
        Field::Consequence,
        Field::Alternative,
        Field::Operator,
        Field::Argument,
        Field::Subject,
    ];

    /// The grammar's name for this field.
    pub fn name(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Body => "body",
            Field::Parameters => "parameters",
            Field::ReturnType => "return_type",
            Field::Superclasses => "superclasses",
            Field::Definition => "definition",
            Field::Function => "function",
            Field::Arguments => "arguments",
            Field::Object => "object",
            Field::Attribute => "attribute",
            Field::Left => "left",
            Field::Right => "right",
            Field::Type => "type",
            Field::Value => "value",
            Field::Alias => "alias",
            Field::ModuleName => "module_name",
            Field::Condition => "condition",
            Field::Consequence => "consequence",
            Field::Alternative => "alternative",
            Field::Operator => "operator",
            Field::Argument => "argument",
            Field::Subject => "subject",
        }
    }
}

struct Tables {
    /// Grammar symbol id → kind. Several ids can share one name (aliases); all map here.
    kinds: Vec<Kind>,
    /// `Field as usize` → grammar field id.
    fields: Vec<Option<NonZeroU16>>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let language = language();
    let count = language.node_kind_count();
    let mut kinds = vec![Kind::Other; count];
    for (id, slot) in kinds.iter_mut().enumerate() {
        let Ok(id) = u16::try_from(id) else { break };
        if language.node_kind_is_named(id)
            && let Some(name) = language.node_kind_for_id(id)
        {
            *slot = Kind::from_name(name);
        }
    }
    let fields = Field::ALL
        .iter()
        .map(|field| language.field_id_for_name(field.name()))
        .collect();
    Tables { kinds, fields }
});

/// The kind of a node; anonymous tokens are [`Kind::Other`].
///
/// One call into tree-sitter: the table maps only named symbols to listed kinds, and a node is
/// named exactly when its (public, alias-resolved) symbol is, so an anonymous node's id reads
/// [`Kind::Other`] without asking `is_named` first.
#[inline]
pub fn kind(node: Node) -> Kind {
    TABLES
        .kinds
        .get(usize::from(node.kind_id()))
        .copied()
        .unwrap_or(Kind::Other)
}

/// The child of `node` in `field`.
///
/// While a [`FieldMemo`] for the node's tree is alive on this thread, each lookup is made once
/// and remembered: rules ask the same calls for their callee and the same attributes for their
/// object over and over (about twenty times each on a typical test file), and tree-sitter
/// answers by scanning the node's children and the grammar's field map every time.
#[inline]
pub fn field<'t>(node: Node<'t>, field: Field) -> Option<Node<'t>> {
    let raw = node.into_raw();
    // Node ids are addresses below 2^48; the field fits in the six bits shifted in.
    let key = ((raw.id as u64) << FIELD_BITS) | field as u64;
    let remembered = MEMOS
        .try_with(|memos| {
            let memos = memos.try_borrow().ok()?;
            let memo = memos.last().filter(|m| std::ptr::eq(m.tree, raw.tree))?;
            memo.found.get(&key).copied()
        })
        .ok()
        .flatten();
    match remembered {
        // SAFETY: `found` was returned by tree-sitter as a child of a node of the memo's tree
        // (entries are only made for nodes of that tree), and the memo's guard keeps that tree
        // borrowed until the entries are dropped. `node` belongs to the same tree, so the child
        // lives as long as `node` does: the lifetime `'t` it is given here.
        Some(found) => found.map(|raw| unsafe { Node::from_raw(raw) }),
        None => look_up_field(node, field, key),
    }
}

/// [`field`] when the answer is not remembered: asks tree-sitter and remembers the answer.
/// Kept out of line so that the remembered case, by far the commonest, stays small.
#[inline(never)]
fn look_up_field<'t>(node: Node<'t>, field: Field, key: u64) -> Option<Node<'t>> {
    let id = TABLES.fields.get(field as usize).copied().flatten()?;
    let tree = node.into_raw().tree;
    let found = node.child_by_field_id(id.get());
    let _ = MEMOS.try_with(|memos| {
        if let Ok(mut memos) = memos.try_borrow_mut()
            && let Some(memo) = memos.last_mut().filter(|m| std::ptr::eq(m.tree, tree))
        {
            memo.found.insert(key, found.map(Node::into_raw));
        }
    });
    found
}

/// The bits a field takes in a memo key.
const FIELD_BITS: u32 = 6;
const _: () = assert!(Field::ALL.len() <= 1 << FIELD_BITS);

/// Field lookups remembered for one tree.
struct Memo {
    tree: *const tree_sitter::ffi::TSTree,
    found: MemoTable,
}

thread_local! {
    /// The memos of the trees being checked on this thread, innermost last (checking a file
    /// can parse another module of the workspace).
    static MEMOS: RefCell<Vec<Memo>> = const { RefCell::new(Vec::new()) };
    /// Emptied tables of finished memos, reused by the next ones.
    static SPARE: RefCell<Vec<MemoTable>> = const { RefCell::new(Vec::new()) };
}

/// How many emptied tables a thread keeps (one per nesting level in practice).
const MAX_SPARE: usize = 2;

type MemoTable = HashMap<u64, Option<tree_sitter::ffi::TSNode>, BuildHasherDefault<IdHasher>>;

/// While alive, [`field`] remembers its answers for the nodes of one tree on this thread.
/// Create one around the work on a parsed tree; a guard for the tree whose memo is already
/// innermost does nothing, so nested scopes share it.
pub struct FieldMemo<'t> {
    tree: *const tree_sitter::ffi::TSTree,
    active: bool,
    _tree: PhantomData<&'t Tree>,
}

impl<'t> FieldMemo<'t> {
    pub fn new(tree: &'t Tree) -> Self {
        let pointer = tree.root_node().into_raw().tree;
        let active = MEMOS
            .try_with(|memos| {
                let mut memos = memos.try_borrow_mut().ok()?;
                if memos.last().is_some_and(|m| std::ptr::eq(m.tree, pointer)) {
                    return None;
                }
                let found = SPARE
                    .try_with(|spare| spare.try_borrow_mut().ok()?.pop())
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                memos.push(Memo {
                    tree: pointer,
                    found,
                });
                Some(())
            })
            .ok()
            .flatten()
            .is_some();
        Self {
            tree: pointer,
            active,
            _tree: PhantomData,
        }
    }
}

impl Drop for FieldMemo<'_> {
    fn drop(&mut self) {
        if !self.active {
            return;
        }
        let _ = MEMOS.try_with(|memos| {
            if let Ok(mut memos) = memos.try_borrow_mut()
                && let Some(index) = memos.iter().rposition(|m| std::ptr::eq(m.tree, self.tree))
            {
                let mut found = memos.remove(index).found;
                // Keep the table's memory for the next tree: growing a fresh one for every file
                // costs more in page faults and rehashing than the lookups it serves.
                found.clear();
                let _ = SPARE.try_with(|spare| {
                    if let Ok(mut spare) = spare.try_borrow_mut()
                        && spare.len() < MAX_SPARE
                    {
                        spare.push(found);
                    }
                });
            }
        });
    }
}

/// A hasher for memo keys: one multiplication per word.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.write_u64(u64::from(*byte));
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.write_u64(u64::from(value));
    }

    fn write_usize(&mut self, value: usize) {
        self.write_u64(value as u64);
    }

    fn write_u64(&mut self, value: u64) {
        // A folded 128-bit product: every input bit reaches the low bits the table indexes
        // with (addresses have their low bits clear).
        let product = u128::from(self.0 ^ value) * 0x9e37_79b9_7f4a_7c15;
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }
}

/// Every child of `node` in `field` (some fields, like `superclasses` or import `name`, repeat).
pub fn field_children<'t>(node: Node<'t>, field: Field) -> Vec<Node<'t>> {
    let Some(id) = TABLES.fields.get(field as usize).copied().flatten() else {
        return Vec::new();
    };
    let mut cursor = node.walk();
    let mut out = Vec::new();
    if cursor.goto_first_child() {
        loop {
            if cursor.field_id() == Some(id) {
                out.push(cursor.node());
            }
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }
    out
}

/// The named children of `node`, skipping comments.
pub fn named_children<'t>(node: Node<'t>) -> impl Iterator<Item = Node<'t>> {
    let mut children = Vec::new();
    push_named_children(node, &mut children);
    children.into_iter().filter(|n| kind(*n) != Kind::Comment)
}

/// Up to this many named children are read by index: creating a cursor allocates, and each
/// cursor step costs more than reading a short list from its start again. Longer lists use a
/// cursor, so reading them stays linear.
pub(crate) const INDEXED_CHILDREN: usize = 16;

/// Appends the named children of `node` (comments included) to `out`, in order: the same
/// nodes as `Node::named_children`, read the cheapest way for the list's length.
///
/// Reading by index is only the same for nodes whose anonymous children are single tokens:
/// `Node::named_child` also looks inside an anonymous child made of several tokens (`is not`,
/// `not in`), where a comment can sit, while the cursor does not. Argument lists, blocks and
/// modules have no such children; other nodes always use the cursor.
pub fn push_named_children<'t>(node: Node<'t>, out: &mut Vec<Node<'t>>) {
    let count = node.named_child_count();
    let token_children_only = matches!(kind(node), Kind::ArgumentList | Kind::Block | Kind::Module);
    if token_children_only && count <= INDEXED_CHILDREN {
        out.reserve(count);
        out.extend((0..count as u32).filter_map(|i| node.named_child(i)));
    } else {
        let mut cursor = node.walk();
        out.extend(node.named_children(&mut cursor));
    }
}

/// Whether the node's kind is a statement (simple or compound).
pub fn is_statement(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::ExpressionStatement
            | Kind::ImportStatement
            | Kind::ImportFromStatement
            | Kind::FutureImportStatement
            | Kind::AssertStatement
            | Kind::ReturnStatement
            | Kind::RaiseStatement
            | Kind::PassStatement
            | Kind::BreakStatement
            | Kind::ContinueStatement
            | Kind::DeleteStatement
            | Kind::GlobalStatement
            | Kind::NonlocalStatement
            | Kind::PrintStatement
            | Kind::ExecStatement
            | Kind::TypeAliasStatement
            | Kind::IfStatement
            | Kind::ForStatement
            | Kind::WhileStatement
            | Kind::TryStatement
            | Kind::WithStatement
            | Kind::MatchStatement
            | Kind::FunctionDefinition
            | Kind::ClassDefinition
            | Kind::DecoratedDefinition
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reading children by index gives the cursor's nodes, comments inside `is not` included.
    #[test]
    fn children_read_by_index_are_the_cursors() {
        let source = "\
def test_x(self):  # c
    # leading
    call(a,  # one
         b, *c, **d)  # two
    assert a is  # inside
        not b
    assert a not  # inside
        in b; x = 1
";
        let tree = crate::parse::parse(source, None);
        let mut stack = vec![tree.root_node()];
        let mut compared = 0;
        while let Some(node) = stack.pop() {
            let mut cursor = node.walk();
            let expected: Vec<Node> = node.named_children(&mut cursor).collect();
            let mut found = Vec::new();
            push_named_children(node, &mut found);
            assert_eq!(found, expected, "{}", node.kind());
            compared += 1;
            let mut cursor = node.walk();
            stack.extend(node.children(&mut cursor));
        }
        assert!(compared > 30);
    }

    /// The table read by [`kind`] alone agrees with asking whether the node is named first,
    /// on every node of a file with aliases, errors, missing nodes and keywords.
    #[test]
    fn kind_needs_no_is_named_check() {
        let source = "\
import a.b as c
from . import (d, e)
from f import *
async def test_x(self, *, g: int = 1, **h) -> None:  # c
    print >> x, y
    exec \"code\"
    assert a is not b and c not in d, f\"{e!r:>{w}}\"
    with (open(p) as f, q):
        x: list[int] = [i async for i in y if i]
        del x[1:2, ...]
    match v:
        case [1, *rest] | {\"k\": _} if rest: pass
        case Point(x=0) as pt: raise E from None
    lambda *a, **k: (yield)
    type T = int
    def broken(:
        return x[
";
        let tree = crate::parse::parse(source, None);
        let mut cursor = tree.walk();
        let mut checked = 0;
        loop {
            let node = cursor.node();
            // What `kind` answered when it asked `is_named` first.
            let expected = if node.is_named() {
                TABLES
                    .kinds
                    .get(usize::from(node.kind_id()))
                    .copied()
                    .unwrap_or(Kind::Other)
            } else {
                Kind::Other
            };
            assert_eq!(kind(node), expected, "{}", node.kind());
            checked += 1;
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    assert!(checked > 100);
                    return;
                }
            }
        }
    }

    #[test]
    fn every_listed_kind_exists_in_the_grammar() {
        let language = language();
        for kind in Kind::ALL {
            let id = language.id_for_node_kind(kind.name(), true);
            assert_ne!(
                id,
                0,
                "node kind {:?} is not in the pinned grammar",
                kind.name()
            );
        }
    }

    #[test]
    fn every_listed_field_exists_in_the_grammar() {
        let language = language();
        for field in Field::ALL {
            assert!(
                language.field_id_for_name(field.name()).is_some(),
                "field {:?} is not in the pinned grammar",
                field.name()
            );
        }
        assert_eq!(Field::ALL.len(), TABLES.fields.len());
    }

    #[test]
    fn kinds_resolve_on_a_parsed_tree() {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&language()).expect("grammar loads");
        let tree = parser.parse("x = f(1)\n", None).expect("parses");
        let statement = tree.root_node().named_child(0).expect("statement");
        assert_eq!(kind(tree.root_node()), Kind::Module);
        assert_eq!(kind(statement), Kind::ExpressionStatement);
        let assignment = statement.named_child(0).expect("assignment");
        assert_eq!(kind(assignment), Kind::Assignment);
        let call = field(assignment, Field::Right).expect("right");
        assert_eq!(kind(call), Kind::Call);
        assert_eq!(
            kind(field(call, Field::Function).expect("fn")),
            Kind::Identifier
        );
    }
}
