//! Units: one top-level function or method with everything nested in it.
//!
//! Building a unit walks its subtree once with an explicit stack. Each named node is filed under
//! the innermost function that contains it, in a bucket for its kind, in source order. Rules
//! then ask a function for "its calls" or "its comments" instead of walking the tree again.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;

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

/// Identifier text → (owning function, position in its identifier bucket).
type IdentifierIndex = HashMap<Box<str>, Vec<(usize, usize)>>;

/// How deep a unit's syntax tree may go before Proctor stops looking inside it. Valid Python
/// cannot come close: CPython's tokenizer allows 100 levels of indentation and its parser 200
/// levels of nested brackets. Deeper input is generated or broken; checking it would only risk
/// quadratic work (tree-sitter finds a node's parent from the root), so such a unit is treated
/// as opaque: no function checks, and summaries that keep file checks silent.
pub const MAX_DEPTH: usize = 1_000;

/// One unit, with its functions in source order.
#[derive(Debug)]
pub struct Unit<'t> {
    pub node: UnitNode<'t>,
    pub functions: Vec<Function<'t>>,
    /// The unit nests deeper than [`MAX_DEPTH`]: it was not walked completely.
    pub too_deep: bool,
    source: &'t str,
    /// Identifier text → (owning function, position in its identifier bucket), built on first
    /// use. It holds no borrowed data, so the unit stays covariant in `'t`.
    identifiers: OnceCell<IdentifierIndex>,
    /// (node id, index of the function resolving it) → what `FunctionContext::resolve` found.
    resolved: RefCell<HashMap<(usize, usize), Option<String>>>,
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
        // One cursor walks the whole unit in source order. `owners` holds, for each function
        // whose subtree is being walked, the depth of its defining node and its index.
        let mut owners: Vec<(usize, usize)> = vec![(0, 0)];
        let mut cursor = node.outer.walk();
        let mut depth = 0usize;
        let mut too_deep = false;
        // The kinds of the nodes on the cursor's path, the current node's parent last: a
        // node's parent is read here instead of asking tree-sitter, which walks down from the
        // root to find it.
        let mut path: Vec<Kind> = Vec::new();
        loop {
            let current = cursor.node();
            let current_kind = kind(current);
            // Listed kinds are named; only `Other` needs asking.
            if depth > 0 && (current_kind != Kind::Other || current.is_named()) {
                let owner = owners.last().map_or(0, |o| o.1);
                let parent_kind = path.last().copied().unwrap_or(Kind::Other);
                visit(
                    file,
                    settings,
                    &mut functions,
                    &mut owners,
                    owner,
                    depth,
                    (current, current_kind, parent_kind),
                    node.function,
                );
            }
            if depth < MAX_DEPTH {
                if cursor.goto_first_child() {
                    path.push(current_kind);
                    depth += 1;
                    continue;
                }
            } else if cursor.node().child_count() > 0 {
                too_deep = true;
            }
            loop {
                if depth == 0 {
                    return Unit {
                        node,
                        functions,
                        too_deep,
                        source: file.source,
                        identifiers: OnceCell::new(),
                        resolved: RefCell::default(),
                    };
                }
                if cursor.goto_next_sibling() {
                    break;
                }
                cursor.goto_parent();
                path.pop();
                depth -= 1;
            }
            // Leaving subtrees: drop owners defined at this depth or deeper.
            while owners.len() > 1 && owners.last().is_some_and(|o| o.0 >= depth) {
                owners.pop();
            }
        }
    }

    pub fn root(&self) -> &Function<'t> {
        &self.functions[0]
    }

    /// A resolution remembered by [`Unit::remember_resolved`]: `Some(answer)` when known.
    pub(crate) fn resolved(&self, key: (usize, usize)) -> Option<Option<String>> {
        self.resolved.try_borrow().ok()?.get(&key).cloned()
    }

    pub(crate) fn remember_resolved(&self, key: (usize, usize), found: Option<String>) {
        if let Ok(mut resolved) = self.resolved.try_borrow_mut() {
            resolved.insert(key, found);
        }
    }

    /// Every identifier of the unit spelled `name`, with the index of the function that owns
    /// it, in source order within each function. Rules that look a name up from many
    /// functions of one unit (is this stub handed to a patch? is this new name free?) use this
    /// instead of scanning the enclosing function's identifiers each time; the index is built
    /// on the first lookup.
    pub fn identifiers_named(&self, name: &str) -> impl Iterator<Item = (usize, Node<'t>)> + '_ {
        let index = self.identifiers.get_or_init(|| {
            let mut index = IdentifierIndex::new();
            for function in &self.functions {
                for (position, identifier) in function.nodes(Kind::Identifier).iter().enumerate() {
                    let text = self.source.get(identifier.byte_range()).unwrap_or("");
                    match index.get_mut(text) {
                        Some(entries) => entries.push((function.index, position)),
                        None => {
                            index.insert(text.into(), vec![(function.index, position)]);
                        }
                    }
                }
            }
            index
        });
        index
            .get(name)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(|&(owner, position)| {
                let node = self
                    .functions
                    .get(owner)?
                    .nodes(Kind::Identifier)
                    .get(position)?;
                Some((owner, *node))
            })
    }
}

impl<'t> Function<'t> {
    fn bucket(&mut self, kind: Kind) -> &mut Vec<Node<'t>> {
        &mut self.buckets[kind as usize]
    }
}

/// Files one named node under its owning function, starting a new function at nested
/// definitions.
#[allow(clippy::too_many_arguments)]
fn visit<'t>(
    file: &FileModel<'t>,
    settings: &Settings,
    functions: &mut Vec<Function<'t>>,
    owners: &mut Vec<(usize, usize)>,
    owner: usize,
    depth: usize,
    (current, current_kind, parent_kind): (Node<'t>, Kind, Kind),
    root_function: Node<'t>,
) {
    let nested = match current_kind {
        Kind::FunctionDefinition => {
            // The definition inside a decorated definition was started at the decorator node.
            let decorated = parent_kind == Kind::DecoratedDefinition;
            (!decorated && current != root_function).then_some((current, current))
        }
        Kind::DecoratedDefinition => field(current, Field::Definition)
            .filter(|d| kind(*d) == Kind::FunctionDefinition)
            .map(|d| (d, current)),
        _ => None,
    };
    if let Some((function, outer)) = nested {
        let index = functions.len();
        let mut nested = new_function(file, settings, index, function, outer, None, Some(owner));
        nested.kind = FunctionKind::Nested;
        functions.push(nested);
        let parent = &mut functions[owner];
        parent.children.push(index);
        parent.bucket(Kind::FunctionDefinition).push(function);
        parent.statement_count += 1;
        owners.push((depth, index));
        return;
    }
    if current_kind == Kind::FunctionDefinition {
        return;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    #[test]
    fn nodes_are_filed_under_their_innermost_function() {
        let source = "\
import unittest


class T(unittest.TestCase):
    @decorate(one())
    def test_a(self):
        first()

        @wrap(two())
        def stub(*args):
            inner()
            return lambda: deep()

        def other():
            third()

        after()
";
        let tree = parse(source, None);
        let settings = Settings::default();
        let file = FileModel::build(&tree, source, None);
        assert_eq!(file.units.len(), 1);
        let unit = Unit::build(&file, &settings, file.units[0]);
        let names: Vec<&str> = unit.functions.iter().map(|f| f.name).collect();
        assert_eq!(names, ["test_a", "stub", "other"]);
        let calls = |i: usize| -> Vec<&str> {
            unit.functions[i]
                .nodes(Kind::Call)
                .iter()
                .map(|c| file.text(field(*c, Field::Function).unwrap()))
                .collect()
        };
        assert_eq!(calls(0), ["decorate", "one", "first", "after"]);
        assert_eq!(calls(1), ["wrap", "two", "inner", "deep"]);
        assert_eq!(calls(2), ["third"]);
        assert_eq!(unit.functions[1].parent, Some(0));
        assert_eq!(unit.functions[0].children, vec![1, 2]);
        assert_eq!(
            unit.functions[0].kind,
            FunctionKind::Test(crate::model::TestStyle::Unittest)
        );
        assert_eq!(unit.functions[1].kind, FunctionKind::Nested);
        // test_a: first(), stub, other, after() — nested bodies not counted.
        assert_eq!(unit.functions[0].statement_count, 4);
    }

    #[test]
    fn identifiers_are_found_by_name_with_their_function() {
        let source = "\
def test_a():
    def stub():
        return stub_value
    patch('x', new=stub)
    stub_value = 1
";
        let tree = parse(source, None);
        let settings = Settings::default();
        let file = FileModel::build(&tree, source, None);
        let unit = Unit::build(&file, &settings, file.units[0]);
        let owners = |name: &str| -> Vec<(usize, usize)> {
            unit.identifiers_named(name)
                .map(|(owner, node)| (owner, file.lines.line_of(node.start_byte()) + 1))
                .collect()
        };
        // `stub` is named by its own definition and passed to `patch` in test_a.
        assert!(owners("stub").contains(&(0, 4)));
        assert_eq!(owners("stub").len(), 2);
        assert_eq!(owners("stub_value"), [(0, 5), (1, 3)]);
        assert_eq!(owners("missing"), []);
    }
}
