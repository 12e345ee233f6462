//! Every tree-sitter node kind and field name Proctor uses, in one place.
//!
//! Rules never compare `node.kind()` against string literals: they match on [`Kind`], which is
//! resolved from the pinned grammar's numeric ids once per process. A test checks that each name
//! here exists in the grammar, so a grammar upgrade that renames a kind fails loudly instead of
//! silently matching nothing.

use std::num::NonZeroU16;
use std::sync::LazyLock;

use tree_sitter::{Language, Node};

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
#[inline]
pub fn kind(node: Node) -> Kind {
    if !node.is_named() {
        return Kind::Other;
    }
    TABLES
        .kinds
        .get(usize::from(node.kind_id()))
        .copied()
        .unwrap_or(Kind::Other)
}

/// The child of `node` in `field`.
#[inline]
pub fn field<'t>(node: Node<'t>, field: Field) -> Option<Node<'t>> {
    let id = TABLES.fields.get(field as usize).copied().flatten()?;
    node.child_by_field_id(id.get())
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
    let mut cursor = node.walk();
    let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
    children.into_iter().filter(|n| kind(*n) != Kind::Comment)
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
