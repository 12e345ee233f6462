//! Units: one top-level function or method with everything nested in it.
//!
//! Building a unit walks its subtree once with an explicit stack. Each named node is filed under
//! the innermost function that contains it, in a bucket for its kind, in source order. Rules
//! then ask a function for "its calls" or "its comments" instead of walking the tree again.

use tree_sitter::Node;

use crate::imports::Imports;
use crate::model::{ClassId, FileModel, FunctionKind, Parameter, UnitNode};
use crate::settings::Settings;
use crate::syntax::{Field, Kind, field, is_statement, kind};

const KIND_COUNT: usize = Kind::ALL.len() + 1;

/// A function of a unit: the unit's own function (index 0) or one nested in it.
#[derive(Debug)]
pub struct Function<'t> {
    pub index: usize,
    /// The `function_definition` node.
    pub node: Node<'t>,
    /// The `decorated_definition` when decorated, else the same as `node`.
    pub outer: Node<'t>,
    pub name: &'t str,
    pub name_node: Node<'t>,
    pub kind: FunctionKind,
    pub class: Option<ClassId>,
    /// The enclosing function in this unit.
    pub parent: Option<usize>,
    /// Functions defined directly inside this one.
    pub children: Vec<usize>,
    pub decorators: Vec<Node<'t>>,
    pub parameters: Option<Node<'t>>,
    pub body: Option<Node<'t>>,
    /// The docstring statement.
    pub docstring: Option<Node<'t>>,
    pub is_async: bool,
    /// Statements in the body, nested statements included, nested functions' bodies excluded.
    pub statement_count: usize,
    /// Names imported inside this function.
    pub local_imports: Imports,
    buckets: Vec<Vec<Node<'t>>>,
}

impl<'t> Function<'t> {
    /// The named nodes of `kind` in this function (not in functions nested in it), in order.
    pub fn nodes(&self, kind: Kind) -> &[Node<'t>] {
        self.buckets.get(kind as usize).map_or(&[], Vec::as_slice)
    }

    pub fn parameter_list(&self, source: &'t str) -> Vec<Parameter<'t>> {
        self.parameters
            .map(|p| crate::model::parameters_of(source, p))
            .unwrap_or_default()
    }

    pub fn is_test(&self) -> bool {
        self.kind.is_test()
    }

    /// The body's statements, comments skipped.
    pub fn body_statements(&self) -> Vec<Node<'t>> {
        self.body.map(crate::model::statements).unwrap_or_default()
    }
}

/// One unit, with its functions in source order.
#[derive(Debug)]
pub struct Unit<'t> {
    pub node: UnitNode<'t>,
    pub functions: Vec<Function<'t>>,
}

impl<'t> Unit<'t> {
    pub fn build(file: &FileModel<'t>, settings: &Settings, node: UnitNode<'t>) -> Unit<'t> {
        let mut functions: Vec<Function<'t>> = Vec::new();
        let root = new_function(
            file,
            settings,
            0,
            node.function,
            node.outer,
            node.class,
            None,
        );
        functions.push(root);
        // (node, owning function)
        let mut stack: Vec<(Node<'t>, usize)> = Vec::new();
        push_function(&mut stack, node.outer, node.function, 0);
        while let Some((current, owner)) = stack.pop() {
            let current_kind = kind(current);
            let nested = match current_kind {
                Kind::FunctionDefinition => Some((current, current)),
                Kind::DecoratedDefinition => field(current, Field::Definition)
                    .filter(|d| kind(*d) == Kind::FunctionDefinition)
                    .map(|d| (d, current)),
                _ => None,
            };
            if let Some((function, outer)) = nested {
                let index = functions.len();
                let mut nested =
                    new_function(file, settings, index, function, outer, None, Some(owner));
                nested.kind = FunctionKind::Nested;
                functions.push(nested);
                functions[owner].children.push(index);
                functions[owner]
                    .bucket(Kind::FunctionDefinition)
                    .push(function);
                functions[owner].statement_count += 1;
                push_function(&mut stack, outer, function, index);
                continue;
            }
            let function = &mut functions[owner];
            if is_statement(current_kind) {
                function.statement_count += 1;
            }
            if matches!(
                current_kind,
                Kind::ImportStatement | Kind::ImportFromStatement
            ) {
                function.local_imports.add_statement(file.source, current);
            }
            function.bucket(current_kind).push(current);
            push_children(&mut stack, current, owner, None);
        }
        Unit { node, functions }
    }

    pub fn root(&self) -> &Function<'t> {
        &self.functions[0]
    }
}

impl<'t> Function<'t> {
    fn bucket(&mut self, kind: Kind) -> &mut Vec<Node<'t>> {
        &mut self.buckets[kind as usize]
    }
}

/// Pushes a function's decorators and its own children so that they pop in source order.
fn push_function<'t>(
    stack: &mut Vec<(Node<'t>, usize)>,
    outer: Node<'t>,
    function: Node<'t>,
    owner: usize,
) {
    push_children(stack, function, owner, None);
    if outer != function {
        push_children(stack, outer, owner, Some(function));
    }
}

/// Pushes the named children of `node` (in reverse, so they pop in source order), leaving out
/// `skip` and the function's own name/parameters/body which are handled separately.
fn push_children<'t>(
    stack: &mut Vec<(Node<'t>, usize)>,
    node: Node<'t>,
    owner: usize,
    skip: Option<Node<'t>>,
) {
    let mut cursor = node.walk();
    let start = stack.len();
    if cursor.goto_first_child() {
        loop {
            let child = cursor.node();
            if child.is_named() && Some(child) != skip {
                stack.push((child, owner));
            }
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }
    stack[start..].reverse();
}

fn new_function<'t>(
    file: &FileModel<'t>,
    settings: &Settings,
    index: usize,
    node: Node<'t>,
    outer: Node<'t>,
    class: Option<ClassId>,
    parent: Option<usize>,
) -> Function<'t> {
    let name_node = field(node, Field::Name).unwrap_or(node);
    let name = file.text(name_node);
    let decorators = crate::model::decorators_of(outer);
    let body = field(node, Field::Body);
    let is_async = node.child(0).is_some_and(|first| first.kind() == "async");
    let kind = file.function_kind(name, class, parent.is_some(), &decorators, settings);
    Function {
        index,
        node,
        outer,
        name,
        name_node,
        kind,
        class,
        parent,
        children: Vec::new(),
        decorators,
        parameters: field(node, Field::Parameters),
        body,
        docstring: body.and_then(crate::model::docstring_of),
        is_async,
        statement_count: 0,
        local_imports: Imports::default(),
        buckets: vec![Vec::new(); KIND_COUNT],
    }
}
