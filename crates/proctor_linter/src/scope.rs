//! The names a function binds, and every place in its scope that refers to each.
//!
//! A function's scope is its own body plus the functions nested in it that do not bind the
//! name again (a nested function that rebinds it still evaluates its decorators, defaults and
//! annotations in the outer scope). Knowing every occurrence is what makes renaming a local
//! safe: rename them all, to a name used nowhere in the scope, and the program means the same.
//!
//! This reads the unit's buckets only; the result is owned ([`NameBinding`]) so it can live in
//! a [`crate::summary::FunctionSummary`].

use std::collections::{HashMap, HashSet};

use tree_sitter::Node;

use crate::naming::{NameStyle, convert, is_usable_name};
use crate::rule::FunctionContext;
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;
use crate::unit::Function;

/// How a function binds a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NameRole {
    /// `self`, `cls`, or the first parameter of a method that is not a `@staticmethod`.
    Receiver,
    Parameter,
    /// Assigned in the body: `=` and augmented assignment targets, `for` targets, `with … as`,
    /// `except … as`, `:=`, a class defined in the body.
    Local,
    /// A function defined in the body.
    Function,
}

/// A name bound by a function.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NameBinding {
    pub name: String,
    pub role: NameRole,
    /// The first place it is bound.
    pub range: TextRange,
    /// Every occurrence of the name in the function's scope (the binding included), when a
    /// rename there is safe: no `locals()`/`vars()`/`eval`/`exec` in the scope, no class body in
    /// the scope binding the same name. Empty otherwise.
    pub occurrences: Vec<TextRange>,
    /// The name in the other style (`fooBar` ↔ `foo_bar`) when `occurrences` is not empty, the
    /// new name is not a keyword or builtin, is used nowhere in the scope, and no other name of
    /// the scope would take it too.
    pub renamed: Option<String>,
}

impl NameBinding {
    pub(crate) fn shift(&mut self, delta: isize) {
        self.range = self.range.shifted(delta);
        for occurrence in &mut self.occurrences {
            *occurrence = occurrence.shifted(delta);
        }
    }
}

/// What one function binds by itself.
struct OwnScope<'t> {
    /// Parameters, locals, nested functions: the first binding of each name, in order.
    bindings: Vec<(&'t str, NameRole, Node<'t>)>,
    /// Every name bound here but by imports, `global`/`nonlocal` names excluded.
    bound: HashSet<&'t str>,
    /// Names bound by imports in the function.
    imported: HashSet<String>,
    globals: HashSet<&'t str>,
    nonlocals: HashSet<&'t str>,
    /// Class definitions in the body: names bound inside them are class attributes.
    classes: Vec<TextRange>,
    /// The parameters' name nodes.
    parameters: Vec<Node<'t>>,
    /// Variable occurrences (not attribute names, keyword names or import paths) by name.
    occurrences: HashMap<&'t str, Vec<Node<'t>>>,
}

/// Whether a function is a method of a class defined inside another function.
pub fn is_local_method(function: &Function) -> bool {
    function.parent.is_some()
        && function
            .outer
            .parent()
            .filter(|p| kind(*p) == Kind::Block)
            .and_then(|block| block.parent())
            .is_some_and(|p| kind(p) == Kind::ClassDefinition)
}

/// Whether the function is called with a receiver as first argument (a method that is not a
/// `@staticmethod`).
pub fn takes_receiver(ctx: &FunctionContext, function: &Function) -> bool {
    let method =
        (function.parent.is_none() && ctx.unit.root().class.is_some()) || is_local_method(function);
    method
        && !function
            .decorators
            .iter()
            .any(|d| ctx.text(*d).trim_start_matches('@').trim() == "staticmethod")
}

fn own_scope<'t>(ctx: &FunctionContext<'_, 't>, function: &Function<'t>) -> OwnScope<'t> {
    let source = ctx.source();
    let text = |node: Node| -> &'t str { source.get(node.byte_range()).unwrap_or("") };
    let mut scope = OwnScope {
        bindings: Vec::new(),
        bound: HashSet::new(),
        imported: HashSet::new(),
        globals: HashSet::new(),
        nonlocals: HashSet::new(),
        classes: function
            .nodes(Kind::ClassDefinition)
            .iter()
            .map(|c| TextRange::of(*c))
            .collect(),
        parameters: Vec::new(),
        occurrences: HashMap::new(),
    };
    for statement in function
        .nodes(Kind::GlobalStatement)
        .iter()
        .chain(function.nodes(Kind::NonlocalStatement))
    {
        let target = if kind(*statement) == Kind::GlobalStatement {
            &mut scope.globals
        } else {
            &mut scope.nonlocals
        };
        let mut cursor = statement.walk();
        for name in statement.named_children(&mut cursor) {
            if kind(name) == Kind::Identifier {
                target.insert(text(name));
            }
        }
    }
    let receiver = takes_receiver(ctx, function);
    for (index, parameter) in function.parameter_list(source).iter().enumerate() {
        let role = if matches!(parameter.name, "self" | "cls") || (index == 0 && receiver) {
            NameRole::Receiver
        } else {
            NameRole::Parameter
        };
        scope.parameters.push(parameter.node);
        scope.bindings.push((parameter.name, role, parameter.node));
    }
    let in_class = |node: Node| scope.classes.iter().any(|c| c.contains(node.start_byte()));
    let mut locals: Vec<(Node<'t>, NameRole)> = Vec::new();
    for assignment in function
        .nodes(Kind::Assignment)
        .iter()
        .chain(function.nodes(Kind::AugmentedAssignment))
    {
        if let Some(left) = field(*assignment, Field::Left) {
            locals.extend(
                crate::model::assigned_names(left)
                    .into_iter()
                    .map(|n| (n, NameRole::Local)),
            );
        }
    }
    for statement in function.nodes(Kind::ForStatement) {
        if let Some(left) = field(*statement, Field::Left) {
            locals.extend(
                crate::model::assigned_names(left)
                    .into_iter()
                    .map(|n| (n, NameRole::Local)),
            );
        }
    }
    for target in function.nodes(Kind::AsPatternTarget) {
        let mut cursor = target.walk();
        for child in target.named_children(&mut cursor) {
            locals.extend(
                crate::model::assigned_names(child)
                    .into_iter()
                    .map(|n| (n, NameRole::Local)),
            );
        }
    }
    for named in function.nodes(Kind::NamedExpression) {
        if let Some(name) = field(*named, Field::Name) {
            locals.push((name, NameRole::Local));
        }
    }
    for class in function.nodes(Kind::ClassDefinition) {
        if let Some(name) = field(*class, Field::Name) {
            locals.push((name, NameRole::Local));
        }
    }
    for child in function
        .children
        .iter()
        .filter_map(|&i| ctx.unit.functions.get(i))
    {
        if !is_local_method(child) {
            locals.push((child.name_node, NameRole::Function));
        }
    }
    locals.sort_by_key(|(n, _)| n.start_byte());
    let parameter_names: HashSet<&str> = scope.bindings.iter().map(|(n, _, _)| *n).collect();
    let mut seen: HashSet<&str> = HashSet::new();
    for (node, role) in locals {
        if kind(node) != Kind::Identifier || in_class(node) {
            continue;
        }
        let name = text(node);
        if parameter_names.contains(name)
            || scope.globals.contains(name)
            || scope.nonlocals.contains(name)
            || !seen.insert(name)
        {
            continue;
        }
        scope.bindings.push((name, role, node));
    }
    scope.imported = function
        .local_imports
        .sorted()
        .into_iter()
        .map(|(n, _)| n.to_string())
        .collect();
    for (name, _, _) in &scope.bindings {
        scope.bound.insert(name);
    }
    // Names bound by an import are not the function's own choice: no binding is reported.
    let imported = &scope.imported;
    scope
        .bindings
        .retain(|(name, _, _)| !imported.contains(*name));
    let not_variables = non_variable_identifiers(function);
    for identifier in function.nodes(Kind::Identifier) {
        if !not_variables.contains(&identifier.start_byte()) {
            scope
                .occurrences
                .entry(text(*identifier))
                .or_default()
                .push(*identifier);
        }
    }
    scope
}

/// The identifiers of a function that do not refer to variables: attribute names (`x.name`),
/// keyword arguments' names (`f(name=1)`), and the parts of import paths. Found from the
/// parents' buckets, by position, because asking a node for its parent walks the tree from
/// its root each time.
fn non_variable_identifiers(function: &Function) -> HashSet<usize> {
    let mut out = HashSet::new();
    for attribute in function.nodes(Kind::Attribute) {
        if let Some(name) = field(*attribute, Field::Attribute) {
            out.insert(name.start_byte());
        }
    }
    for argument in function.nodes(Kind::KeywordArgument) {
        if let Some(name) = field(*argument, Field::Name) {
            out.insert(name.start_byte());
        }
    }
    for container in function
        .nodes(Kind::DottedName)
        .iter()
        .chain(function.nodes(Kind::AliasedImport))
        .chain(function.nodes(Kind::ImportFromStatement))
    {
        let mut cursor = container.walk();
        for child in container.named_children(&mut cursor) {
            if kind(child) == Kind::Identifier {
                out.insert(child.start_byte());
            }
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visibility {
    /// Occurrences refer to the outer binding.
    Visible,
    /// The function rebinds the name: only its header (decorators, defaults, annotations)
    /// refers to the outer binding.
    Header,
    Hidden,
}

/// The bindings of the function of `ctx`, with their occurrences and safe renames.
pub fn bindings(ctx: &FunctionContext) -> Vec<NameBinding> {
    let function = ctx.function;
    let mut functions: Vec<&Function> = vec![function];
    functions.extend(ctx.descendants());
    let scopes: Vec<OwnScope> = functions.iter().map(|f| own_scope(ctx, f)).collect();
    let position: HashMap<usize, usize> = functions
        .iter()
        .enumerate()
        .map(|(i, f)| (f.index, i))
        .collect();
    let Some(own) = scopes.first() else {
        return Vec::new();
    };
    let dynamic = functions.iter().any(|f| {
        f.nodes(Kind::Call).iter().any(|call| {
            field(*call, Field::Function).is_some_and(|callee| {
                kind(callee) == Kind::Identifier
                    && matches!(ctx.text(callee), "locals" | "vars" | "eval" | "exec")
            })
        })
    });
    let used: HashSet<&str> = scopes
        .iter()
        .flat_map(|s| {
            s.occurrences
                .keys()
                .copied()
                .chain(s.bound.iter().copied())
                .chain(s.imported.iter().map(String::as_str))
        })
        .collect();
    // The names of the whole scope that would be renamed to each new name: two different
    // names must not become one (the same name bound again in a nested function may: both
    // renames keep the shadowing as it was).
    let mut targets: HashMap<String, HashSet<&str>> = HashMap::new();
    for scope in &scopes {
        for (name, _, _) in &scope.bindings {
            if let Some(style) = NameStyle::of(name) {
                targets
                    .entry(convert(name, style.other()))
                    .or_default()
                    .insert(name);
            }
        }
    }
    let mut out = Vec::with_capacity(own.bindings.len());
    for (name, role, node) in &own.bindings {
        let occurrences = if dynamic || *role == NameRole::Receiver {
            Vec::new()
        } else {
            occurrences_of(name, &functions, &scopes, &position)
        };
        let renamed = NameStyle::of(name)
            .map(|style| convert(name, style.other()))
            .filter(|new| {
                !occurrences.is_empty()
                    && is_usable_name(new)
                    && !used.contains(new.as_str())
                    && targets.get(new).is_none_or(|names| names.len() <= 1)
            });
        out.push(NameBinding {
            name: name.to_string(),
            role: *role,
            range: TextRange::of(*node),
            occurrences,
            renamed,
        });
    }
    out
}

/// Every occurrence of `name` bound by `functions[0]`, or nothing when one cannot be renamed.
fn occurrences_of(
    name: &str,
    functions: &[&Function],
    scopes: &[OwnScope],
    position: &HashMap<usize, usize>,
) -> Vec<TextRange> {
    let mut visibility: Vec<Visibility> = Vec::with_capacity(functions.len());
    let mut out = Vec::new();
    for (i, (function, scope)) in functions.iter().zip(scopes).enumerate() {
        let parent_visible = i == 0
            || function
                .parent
                .and_then(|p| position.get(&p))
                .and_then(|&p| visibility.get(p))
                .is_some_and(|v| *v == Visibility::Visible);
        let state = if i == 0 {
            Visibility::Visible
        } else if !parent_visible {
            Visibility::Hidden
        } else if ((scope.bound.contains(name) || scope.imported.contains(name))
            && !scope.nonlocals.contains(name))
            || scope.globals.contains(name)
        {
            Visibility::Header
        } else {
            Visibility::Visible
        };
        visibility.push(state);
        let Some(nodes) = scope.occurrences.get(name) else {
            continue;
        };
        let body = function.body.map(TextRange::of);
        for node in nodes {
            let is_own_name = *node == function.name_node;
            if is_own_name {
                // A def's name is bound where the def is: the parent's scope.
                if i > 0 && parent_visible && !is_local_method(function) {
                    out.push(TextRange::of(*node));
                }
                continue;
            }
            match state {
                Visibility::Visible => {
                    if scope.classes.iter().any(|c| c.contains(node.start_byte())) {
                        // A class body in the scope uses the name: it may bind it as a class
                        // attribute, which a rename would change.
                        return Vec::new();
                    }
                    out.push(TextRange::of(*node));
                }
                Visibility::Header => {
                    let in_body = body.is_some_and(|b| b.contains(node.start_byte()));
                    if !in_body && !scope.parameters.contains(node) {
                        out.push(TextRange::of(*node));
                    }
                }
                Visibility::Hidden => {}
            }
        }
    }
    out.sort();
    out.dedup();
    out
}
