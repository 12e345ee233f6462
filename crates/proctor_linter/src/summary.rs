//! Owned, position-tagged facts about each function, for file checks.
//!
//! A summary is computed in the same pass as the function checks and holds no tree nodes, so
//! the language server can keep it across edits (shifting its ranges when the unit moves).

use std::collections::HashSet;

use crate::model::{ClassId, FunctionKind};
use crate::rule::FunctionContext;
use crate::scope::NameBinding;
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;
use crate::workspace::MethodFacts;

/// An assignment to `self.<name>` in a function.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SelfWrite {
    pub name: String,
    /// The `self.<name>` target.
    pub target: TextRange,
    /// The whole assignment statement.
    pub statement: TextRange,
    /// The assigned value, when there is one.
    pub value: Option<TextRange>,
    /// Whether the assignment carries an annotation (`self.x: int = 1`).
    pub annotated: bool,
    /// The value's type when it is evident from the value alone, spelled so that it can be
    /// written in the class body: `X(...)` and `self.useFixture(X(...))` give `X` as written,
    /// `mock.patch(...).start()` gives `mock.MagicMock` (through the file's `mock` import),
    /// literals give their builtin type. Only names imported or defined at module level are
    /// used (a class of this file may still be defined below the class using it).
    pub evident_type: Option<String>,
}

/// What a function's body amounts to, ignoring comments and docstrings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BodyShape {
    /// Real statements.
    Statements,
    /// Nothing but `pass`, `...` and string literals (a docstring).
    Empty,
    /// `raise NotImplementedError` (with `pass`, `...` or strings around it at most): a method
    /// that subclasses are expected to override.
    NotImplemented,
}

/// A resource a function acquires and does not release itself (see TQ702).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Resource {
    pub kind: ResourceKind,
    /// The call that acquires it (`patcher.start()`, `tempfile.mkdtemp()`, `open(...)`).
    pub range: TextRange,
    /// How messages show that call.
    pub shown: String,
    /// The name or `self.` attribute that holds it, if any.
    pub handle: Option<String>,
    /// Where a statement releasing it would go (the start of the line after the statement
    /// that acquires it), and that statement's indentation.
    pub insert_at: Option<usize>,
    pub indent: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// `patcher.start()` of a `mock.patch(...)`.
    Patcher,
    /// `tempfile.mkdtemp()`.
    TempDirectory,
    /// `tempfile.NamedTemporaryFile(delete=False)`.
    TempFile,
    /// `open(...)` outside `with`.
    OpenFile,
    /// `threading.Thread(...).start()`.
    Thread,
    /// `multiprocessing.Process(...).start()`.
    Process,
}

/// What file checks need to know about one function.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FunctionSummary {
    pub name: String,
    pub name_range: TextRange,
    /// The definition, decorators included.
    pub range: TextRange,
    pub kind: FunctionKind,
    /// The class of the unit this function belongs to.
    pub class: Option<ClassId>,
    /// The enclosing function, as an index into the file's summaries.
    pub parent: Option<usize>,
    pub is_async: bool,
    pub has_docstring: bool,
    /// It (or a function nested in it) asserts directly: an `assert`, a call matching the
    /// assertion-helper patterns, `self.fail*`, `pytest.raises/warns/fail`,
    /// `testtools.ExpectedException`, or a call that hands the check to its callee through a
    /// keyword argument named like an assertion helper (`check_response_status=[400]`).
    pub asserts: bool,
    /// Methods called on `self`/`cls` (sorted, deduplicated), nested functions included.
    pub self_calls: Vec<String>,
    /// Plain names called (`helper(...)`), nested functions included.
    pub bare_calls: Vec<String>,
    /// Attributes read from `self`/`cls`, nested functions included.
    pub self_reads: Vec<String>,
    /// Assignments to `self.<name>` in this function's own body.
    pub self_writes: Vec<SelfWrite>,
    /// Parameters and locals, with their occurrences and safe renames (see [`crate::scope`]).
    pub bindings: Vec<NameBinding>,
    /// Names passed as keyword arguments in this function's own body (sorted, deduplicated).
    pub keyword_arguments: Vec<String>,
    /// The decorators, each as the dotted path its expression (or callee) resolves to, else as
    /// written: `unittest.mock.patch.object`, `staticmethod`, `ddt.data`.
    pub decorators: Vec<String>,
    /// A method of a class defined inside another function.
    pub local_method: bool,
    /// camelCase names this function's own body uses as attribute names (`spec.cpuAllocation`),
    /// keyword argument names (`f(sourceName=...)`) or words of string literals
    /// (`kwargs.get('sourceName')`, `'Host.getCapabilities'`): names of some API it talks to
    /// (sorted, deduplicated).
    pub camel_api_names: Vec<String>,
    /// Methods called through `super()` (`super().setUp()`) or on a base class with `self`
    /// (`Base.setUp(self)`, `Base.setUpClass()`), nested functions included.
    pub super_calls: Vec<String>,
    /// `self` is handed to code that may read any of its attributes: a function call with
    /// `self` as an argument (`helpers.check(self)`, `vars(self)`, `getattr(self, name)` with
    /// a computed name). Constructors (`Fixture(self)`), `super(..., self)` and builtins that
    /// only inspect the object are not counted, and `getattr(self, "x")`-style calls with a
    /// literal name count as a read of `x` instead. Nested functions included.
    pub self_escapes: bool,
    /// Callees, as written, of calls that hand `self` to something other than a method of
    /// `self` (`compare_obj(self, ...)`, `helpers.check(self)`): such a function can assert
    /// through the test case. In a module-level helper, a first parameter named for the test
    /// case counts as `self` (`def compare_obj(test, ...)`). Constructors (callees whose last
    /// name is capitalised) and the function's own parameters are left out. Nested functions
    /// included.
    pub self_passed_to: Vec<String>,
    /// Plain names handed to a call as an argument (`stub_out('x', fake_get)`,
    /// `side_effect=fake_get`): callbacks the callee may run. Nested functions included.
    pub passed_names: Vec<String>,
    /// Where the callees of calls lead through the imports (`helpers.check_order` for
    /// `helpers.check_order(..)` after `from tests import helpers`), nested functions included.
    pub imported_calls: Vec<String>,
    /// Where imported replacements lead: `side_effect=`/`new=`/`wraps=` values and the last
    /// argument of `stub_out(..)`/`setattr(..)`/`MonkeyPatch(..)` that are imported names
    /// (`fakes.stub_volume_get`), which the code under test will run. Nested functions included.
    pub imported_callbacks: Vec<String>,
    /// Parameters without a default value, `self` included (`*args`/`**kwargs` left out).
    pub required_parameters: usize,
    /// It (or a function nested in it) skips the test or declares it an expected failure:
    /// `self.skipTest(..)`, `pytest.skip(..)`, `pytest.xfail(..)`, `pytest.importorskip(..)`,
    /// raising `SkipTest`, or a decorator such as `@unittest.skip(..)`, `@pytest.mark.skip`,
    /// `@pytest.mark.xfail` or `@unittest.expectedFailure`.
    pub skips: bool,
    /// What the function's own body amounts to.
    pub body: BodyShape,
    /// The function was not looked into (see [`summarize_opaque`]): it may call or reference
    /// anything.
    pub opaque: bool,
    /// Attributes read through objects other than `self`/`cls` (`inst.force` and
    /// `self.inst.force` both give `force`), nested functions included: a helper that keeps the
    /// test case under another name reads its attributes this way.
    pub attribute_reads: Vec<String>,
    /// Resources acquired in this function's own body and not released there (TQ702).
    pub resources: Vec<Resource>,
    /// It (or a function nested in it) stops every patch: mentions `mock.patch.stopall`.
    pub stops_all_patches: bool,
    /// It, its decorators or a function nested in it patch something with a
    /// `NonCallableMock` (`new=mock.NonCallableMock(..)`,
    /// `new_callable=mock.NonCallableMagicMock`): calling the replacement raises, so the code
    /// under test is checked never to call it.
    pub patches_non_callable: bool,
    /// It (or a function nested in it) installs `fixtures.NestedTempfile`, which removes
    /// everything `tempfile` creates during the test.
    pub nests_temp_files: bool,
    /// For a pytest test or fixture (a unit's own function): its fixture parameters and marks.
    pub pytest: Option<Box<crate::workspace::pytest_syntax::PytestFacts>>,
}

impl FunctionSummary {
    /// Moves every range by `delta` bytes and every parent index by `parent_offset`.
    pub fn shift(&mut self, delta: isize, parent_offset: usize) {
        self.name_range = self.name_range.shifted(delta);
        self.range = self.range.shifted(delta);
        self.parent = self.parent.map(|p| p + parent_offset);
        for write in &mut self.self_writes {
            write.target = write.target.shifted(delta);
            write.statement = write.statement.shifted(delta);
            write.value = write.value.map(|v| v.shifted(delta));
        }
        for resource in &mut self.resources {
            resource.range = resource.range.shifted(delta);
            resource.insert_at = resource.insert_at.map(|at| at.saturating_add_signed(delta));
        }
        for binding in &mut self.bindings {
            binding.shift(delta);
        }
        if let Some(pytest) = &mut self.pytest {
            pytest.shift(delta);
        }
    }

    pub fn is_test(&self) -> bool {
        self.kind.is_test()
    }
}

/// Whether `node` is `self` or `cls`.
pub fn is_self(source: &str, node: tree_sitter::Node) -> bool {
    kind(node) == Kind::Identifier && matches!(source.get(node.byte_range()), Some("self" | "cls"))
}

/// Whether a call asserts something by itself.
pub fn is_assertion_call(ctx: &FunctionContext, call: tree_sitter::Node) -> bool {
    let Some(function) = field(call, Field::Function) else {
        return false;
    };
    let source = ctx.source();
    let last = match kind(function) {
        Kind::Identifier => source.get(function.byte_range()),
        Kind::Attribute => {
            field(function, Field::Attribute).and_then(|a| source.get(a.byte_range()))
        }
        _ => None,
    };
    let Some(last) = last else { return false };
    if ctx.settings.is_assertion_helper(last) {
        return true;
    }
    if last.starts_with("fail")
        && kind(function) == Kind::Attribute
        && field(function, Field::Object).is_some_and(|o| is_self(source, o))
    {
        return true;
    }
    matches!(
        ctx.callee(call).as_deref(),
        Some(
            "pytest.raises"
                | "pytest.warns"
                | "pytest.fail"
                | "pytest.deprecated_call"
                | "testtools.ExpectedException"
                | "testtools.testcase.ExpectedException"
        )
    )
}

/// Whether a function asserts in its own body (not counting nested functions).
pub fn asserts_directly(ctx: &FunctionContext, function: &crate::unit::Function) -> bool {
    if !function.nodes(Kind::AssertStatement).is_empty() {
        return true;
    }
    let source = ctx.source();
    let raises_assertion = function.nodes(Kind::RaiseStatement).iter().any(|raise| {
        raise.named_child(0).is_some_and(|e| {
            let callee = if kind(e) == Kind::Call {
                field(e, Field::Function)
            } else {
                Some(e)
            };
            callee
                .and_then(|c| source.get(c.byte_range()))
                .is_some_and(|t| t == "AssertionError" || t.ends_with(".failureException"))
        })
    });
    if raises_assertion {
        return true;
    }
    let nested = FunctionContext { function, ..*ctx };
    function
        .nodes(Kind::Call)
        .iter()
        .any(|call| is_assertion_call(&nested, *call))
}

/// A summary of a function that was not looked into (its unit nests deeper than
/// [`crate::unit::MAX_DEPTH`]): it claims what keeps file checks silent — it asserts, and it
/// hands `self` to code Proctor cannot see.
pub fn summarize_opaque(ctx: &FunctionContext) -> FunctionSummary {
    let function = ctx.function;
    FunctionSummary {
        name: function.name.to_string(),
        name_range: TextRange::of(function.name_node),
        range: TextRange::of(function.outer),
        kind: function.kind,
        class: ctx.unit.root().class,
        parent: function.parent,
        is_async: function.is_async,
        has_docstring: function.docstring.is_some(),
        asserts: true,
        self_calls: Vec::new(),
        bare_calls: Vec::new(),
        self_reads: Vec::new(),
        self_writes: Vec::new(),
        bindings: Vec::new(),
        keyword_arguments: Vec::new(),
        decorators: Vec::new(),
        local_method: false,
        camel_api_names: Vec::new(),
        super_calls: Vec::new(),
        self_escapes: true,
        attribute_reads: Vec::new(),
        resources: Vec::new(),
        stops_all_patches: true,
        patches_non_callable: false,
        nests_temp_files: true,
        pytest: None,
        self_passed_to: Vec::new(),
        passed_names: Vec::new(),
        imported_calls: Vec::new(),
        imported_callbacks: Vec::new(),
        required_parameters: 0,
        skips: true,
        body: BodyShape::Statements,
        opaque: true,
    }
}

/// What the calls and attribute reads of a function and the functions nested in it say,
/// gathered in one pass; every list sorted and deduplicated.
#[derive(Default)]
struct BodyFacts {
    asserts: bool,
    skips: bool,
    self_calls: Vec<String>,
    bare_calls: Vec<String>,
    self_reads: Vec<String>,
    super_calls: Vec<String>,
    attribute_reads: Vec<String>,
    self_escapes: bool,
    self_passed_to: Vec<String>,
    passed_names: Vec<String>,
    imported_calls: Vec<String>,
    imported_callbacks: Vec<String>,
}

/// Gathers [`BodyFacts`]. With `full` false, only what [`method_facts`] needs is gathered
/// (`asserts`, `self_calls`, `self_reads`, `super_calls`, `self_escapes`); the other fields
/// stay empty.
fn body_facts(ctx: &FunctionContext, scope: &[&crate::unit::Function], full: bool) -> BodyFacts {
    let function = ctx.function;
    let source = ctx.source();
    let mut facts = BodyFacts::default();
    // The names the test case goes by: `self`, and in a module-level helper a first parameter
    // named for it (`def compare_obj(test, result, expected)`).
    let mut test_case_names = vec!["self"];
    if full
        && function.kind == FunctionKind::Helper
        && ctx.unit.root().class.is_none()
        && function.parent.is_none()
        && let Some(first) = function.parameter_list(source).first()
        && first.star.is_empty()
        && (first.name.contains("test") || matches!(first.name, "tc" | "case"))
    {
        test_case_names.push(first.name);
    }
    // A callable handed in as a parameter (a decorator's `f`) is followed where it is handed
    // over, not where it is called.
    let parameter_names: Vec<&str> = if full {
        scope
            .iter()
            .flat_map(|f| f.parameter_list(source))
            .map(|p| p.name)
            .collect()
    } else {
        Vec::new()
    };
    for f in scope {
        facts.asserts = facts.asserts || asserts_directly(ctx, f) || delegates_check(ctx, f);
        let nested = FunctionContext {
            function: f,
            ..*ctx
        };
        if full {
            facts.skips = facts.skips || skips_directly(&nested, f);
        }
        for call in f.nodes(Kind::Call) {
            let Some(callee) = field(*call, Field::Function) else {
                continue;
            };
            match kind(callee) {
                Kind::Identifier if full => {
                    facts
                        .bare_calls
                        .push(source[callee.byte_range()].to_string());
                }
                Kind::Attribute => {
                    if let (Some(object), Some(attribute)) = (
                        field(callee, Field::Object),
                        field(callee, Field::Attribute),
                    ) {
                        let method = &source[attribute.byte_range()];
                        if is_self(source, object) {
                            facts.self_calls.push(method.to_string());
                        } else if is_super_call(source, object)
                            || is_base_class_call(source, *call, object, method)
                        {
                            facts.super_calls.push(method.to_string());
                        }
                    }
                }
                _ => {}
            }
            match self_argument_use(source, *call) {
                SelfArgument::None => {}
                SelfArgument::Reads(name) => facts.self_reads.push(name.to_string()),
                SelfArgument::Escapes => facts.self_escapes = true,
            }
            if !full {
                continue;
            }
            let arguments = crate::model::call_arguments(*call);
            let last_positional = arguments
                .iter()
                .take_while(|a| {
                    !matches!(
                        kind(**a),
                        Kind::KeywordArgument | Kind::ListSplat | Kind::DictionarySplat
                    )
                })
                .last()
                .copied();
            // The callee's last name first: it rejects nearly every call without building the
            // dotted name.
            let last_name = match kind(callee) {
                Kind::Identifier => source.get(callee.byte_range()),
                Kind::Attribute => {
                    field(callee, Field::Attribute).and_then(|a| source.get(a.byte_range()))
                }
                _ => None,
            };
            let installs_replacement =
                matches!(last_name, Some("stub_out" | "setattr" | "MonkeyPatch"))
                    && crate::model::dotted_name(source, callee).is_some();
            for argument in &arguments {
                let argument = *argument;
                let (value, keyword) = if kind(argument) == Kind::KeywordArgument {
                    (
                        field(argument, Field::Value),
                        field(argument, Field::Name).and_then(|n| source.get(n.byte_range())),
                    )
                } else {
                    (Some(argument), None)
                };
                if let Some(value) = value.filter(|v| kind(*v) == Kind::Identifier) {
                    facts
                        .passed_names
                        .push(source[value.byte_range()].to_string());
                }
                // A replacement the code under test will run: `side_effect=`/`new=`/`wraps=`,
                // or the last argument of `stub_out(..)`/`setattr(..)`/`MonkeyPatch(..)`.
                let replacement = matches!(keyword, Some("side_effect" | "new" | "wraps"))
                    || (installs_replacement && Some(argument) == last_positional);
                if replacement
                    && let Some(path) = value
                        .filter(|v| matches!(kind(*v), Kind::Identifier | Kind::Attribute))
                        .and_then(|v| nested.resolve(v))
                {
                    facts.imported_callbacks.push(path);
                }
            }
            if let Some(path) = nested.callee(*call) {
                facts.imported_calls.push(path);
            }
            if passes_self(source, &arguments, &test_case_names)
                && let Some(name) = crate::model::dotted_name(source, callee)
                && !parameter_names.contains(&name.as_str())
                && !name.starts_with("self.")
                && !name.starts_with("cls.")
                && !name
                    .rsplit('.')
                    .next()
                    .is_some_and(|last| last.starts_with(|c: char| c.is_ascii_uppercase()))
            {
                facts.self_passed_to.push(name);
            }
        }
        let targets = plain_assignment_targets(f);
        for attribute in f.nodes(Kind::Attribute) {
            if targets.contains(&attribute.id()) {
                continue;
            }
            let (Some(object), Some(name)) = (
                field(*attribute, Field::Object),
                field(*attribute, Field::Attribute),
            ) else {
                continue;
            };
            if is_self(source, object) {
                facts.self_reads.push(source[name.byte_range()].to_string());
            } else if full {
                facts
                    .attribute_reads
                    .push(source[name.byte_range()].to_string());
            }
        }
    }
    for list in [
        &mut facts.self_calls,
        &mut facts.bare_calls,
        &mut facts.self_reads,
        &mut facts.super_calls,
        &mut facts.self_passed_to,
        &mut facts.passed_names,
        &mut facts.imported_calls,
        &mut facts.imported_callbacks,
        &mut facts.attribute_reads,
    ] {
        list.sort_unstable();
        list.dedup();
    }
    facts
}

/// The function and the functions nested in it.
fn scope_of<'a, 't>(ctx: &FunctionContext<'a, 't>) -> Vec<&'a crate::unit::Function<'t>> {
    let mut scope = vec![ctx.function];
    scope.extend(ctx.descendants());
    scope
}

/// [`FunctionSummary::patches_non_callable`]: a keyword argument of the function's
/// decorators, its body or its nested functions that replaces a patch target with a
/// `NonCallableMock`.
fn patches_non_callable(ctx: &FunctionContext, scope: &[&crate::unit::Function]) -> bool {
    let source = ctx.source();
    let replaces_with_non_callable = |keyword: tree_sitter::Node| {
        let (Some(name), Some(value)) = (field(keyword, Field::Name), field(keyword, Field::Value))
        else {
            return false;
        };
        let class = match (source.get(name.byte_range()), kind(value)) {
            (Some("new"), Kind::Call) => field(value, Field::Function),
            (Some("new_callable"), _) => Some(value),
            _ => None,
        };
        class.is_some_and(|class| {
            matches!(
                source
                    .get(class.byte_range())
                    .and_then(|t| t.rsplit('.').next()),
                Some("NonCallableMock" | "NonCallableMagicMock")
            )
        })
    };
    if scope.iter().any(|f| {
        f.nodes(Kind::KeywordArgument)
            .iter()
            .any(|k| replaces_with_non_callable(*k))
    }) {
        return true;
    }
    // The decorators (`@mock.patch(.., new_callable=mock.NonCallableMock)`), with an
    // explicit stack: no recursion over the tree.
    let mut stack: Vec<tree_sitter::Node> = ctx.function.decorators.clone();
    while let Some(node) = stack.pop() {
        if kind(node) == Kind::KeywordArgument && replaces_with_non_callable(node) {
            return true;
        }
        crate::syntax::push_named_children(node, &mut stack);
    }
    false
}

/// Whether the function (its nested functions included) mentions `mock.patch.stopall`.
fn mentions_stopall(ctx: &FunctionContext, scope: &[&crate::unit::Function]) -> bool {
    let source = ctx.source();
    scope.iter().any(|f| {
        f.nodes(Kind::Attribute).iter().any(|a| {
            field(*a, Field::Attribute).is_some_and(|n| &source[n.byte_range()] == "stopall")
        })
    })
}

/// Whether the function (its nested functions included) installs `NestedTempfile`.
fn installs_nested_temp_files(ctx: &FunctionContext, scope: &[&crate::unit::Function]) -> bool {
    let source = ctx.source();
    scope.iter().any(|f| {
        f.nodes(Kind::Call).iter().any(|c| {
            field(*c, Field::Function)
                .is_some_and(|callee| source[callee.byte_range()].ends_with("NestedTempfile"))
        })
    })
}

/// What the workspace's class index records for a method of another file: the facts of
/// [`summarize`] that [`MethodFacts::from_summary`] keeps, computed without the rest of the
/// summary (no bindings, writes, resolutions or resources).
pub fn method_facts(ctx: &FunctionContext) -> MethodFacts {
    let scope = scope_of(ctx);
    let facts = body_facts(ctx, &scope, false);
    MethodFacts {
        name: ctx.function.name.to_string(),
        self_reads: facts.self_reads,
        self_calls: facts.self_calls,
        super_calls: facts.super_calls,
        self_escapes: facts.self_escapes,
        asserts_directly: facts.asserts,
        called_names: Vec::new(),
        placeholder: false,
        stops_all_patches: mentions_stopall(ctx, &scope),
        nests_temp_files: installs_nested_temp_files(ctx, &scope),
    }
}

/// Summarises the function of `ctx`.
pub fn summarize(ctx: &FunctionContext) -> FunctionSummary {
    let function = ctx.function;
    let source = ctx.source();
    let scope = scope_of(ctx);
    let BodyFacts {
        asserts,
        skips,
        self_calls,
        bare_calls,
        self_reads,
        super_calls,
        attribute_reads,
        self_escapes,
        self_passed_to,
        passed_names,
        imported_calls,
        imported_callbacks,
    } = body_facts(ctx, &scope, true);
    let bindings = crate::scope::bindings(ctx);
    let self_writes = self_writes(ctx, function, &bindings);
    let mut keyword_arguments: Vec<String> = function
        .nodes(Kind::KeywordArgument)
        .iter()
        .filter_map(|k| field(*k, Field::Name))
        .map(|n| source[n.byte_range()].to_string())
        .collect();
    keyword_arguments.sort_unstable();
    keyword_arguments.dedup();
    let decorators = function
        .decorators
        .iter()
        .filter_map(|d| d.named_child(0))
        .map(|expression| {
            let target = if kind(expression) == Kind::Call {
                field(expression, Field::Function).unwrap_or(expression)
            } else {
                expression
            };
            ctx.resolve(target)
                .or_else(|| crate::model::dotted_name(source, target))
                .unwrap_or_else(|| ctx.text(target).to_string())
        })
        .collect();
    let stops_all_patches = mentions_stopall(ctx, &scope);
    let patches_non_callable = patches_non_callable(ctx, &scope);
    let nests_temp_files = installs_nested_temp_files(ctx, &scope);
    FunctionSummary {
        name: function.name.to_string(),
        name_range: TextRange::of(function.name_node),
        range: TextRange::of(function.outer),
        kind: function.kind,
        class: ctx.unit.root().class,
        parent: function.parent,
        is_async: function.is_async,
        has_docstring: function.docstring.is_some(),
        asserts,
        self_calls,
        bare_calls,
        self_reads,
        self_writes,
        bindings,
        keyword_arguments,
        decorators,
        local_method: crate::scope::is_local_method(function),
        camel_api_names: camel_api_names(ctx, function),
        super_calls,
        self_escapes,
        self_passed_to,
        passed_names,
        imported_calls,
        imported_callbacks,
        required_parameters: function
            .parameter_list(source)
            .iter()
            .filter(|p| !p.has_default && p.star.is_empty())
            .count(),
        skips,
        body: body_shape(ctx, function),
        opaque: false,
        attribute_reads,
        resources: crate::rules::resource_without_cleanup::resources(ctx),
        stops_all_patches,
        patches_non_callable,
        nests_temp_files,
        pytest: crate::workspace::pytest_syntax::function_facts(ctx),
    }
}

/// Whether a call in the function's own body asks its callee to check something: a keyword
/// argument named like an assertion helper (`check_response_status=[400]`, `verify=True`)
/// whose value is not `False` or `None`. Names starting with `expect` are left out: they are
/// usually data (Nova's `expected_attrs=[...]` says which fields to load), not a check.
fn delegates_check(ctx: &FunctionContext, function: &crate::unit::Function) -> bool {
    let source = ctx.source();
    if function.nodes(Kind::KeywordArgument).is_empty() {
        return false;
    }
    // The keyword arguments of the function's calls (not of class statements).
    function.nodes(Kind::Call).iter().any(|call| {
        crate::model::call_arguments(*call)
            .into_iter()
            .filter(|argument| kind(*argument) == Kind::KeywordArgument)
            .any(|argument| {
                let (Some(name), Some(value)) =
                    (field(argument, Field::Name), field(argument, Field::Value))
                else {
                    return false;
                };
                !matches!(kind(value), Kind::False | Kind::None)
                    && source.get(name.byte_range()).is_some_and(|name| {
                        !name.starts_with("expect") && ctx.settings.is_assertion_helper(name)
                    })
            })
    })
}

/// `super()` or `super(Class, self)`.
fn is_super_call(source: &str, node: tree_sitter::Node) -> bool {
    kind(node) == Kind::Call
        && field(node, Field::Function).is_some_and(|f| {
            kind(f) == Kind::Identifier && source.get(f.byte_range()) == Some("super")
        })
}

/// Whether a call hands the test case (`self`, or another of `names`) over as an argument.
fn passes_self(source: &str, arguments: &[tree_sitter::Node], names: &[&str]) -> bool {
    arguments.iter().copied().any(|argument| {
        let value = if kind(argument) == Kind::KeywordArgument {
            field(argument, Field::Value)
        } else {
            Some(argument)
        };
        value.is_some_and(|v| {
            kind(v) == Kind::Identifier
                && source
                    .get(v.byte_range())
                    .is_some_and(|name| names.contains(&name))
        })
    })
}

/// Whether a decorator decides the test's outcome whatever its body does: an unconditional
/// skip (`@unittest.skip(..)`, `@pytest.mark.skip`, sympy's `@SKIP(..)`) or an expected failure
/// (`@pytest.mark.xfail`, `@unittest.expectedFailure`, sympy's `@XFAIL`), imported from anywhere.
fn is_skip_or_xfail_decorator(ctx: &FunctionContext, decorator: tree_sitter::Node) -> bool {
    let Some(expression) = decorator.named_child(0) else {
        return false;
    };
    let target = if kind(expression) == Kind::Call {
        field(expression, Field::Function)
    } else {
        Some(expression)
    };
    target.and_then(|t| ctx.resolve(t)).is_some_and(|path| {
        let last = path
            .rsplit('.')
            .next()
            .unwrap_or(&path)
            .to_ascii_lowercase();
        matches!(last.as_str(), "skip" | "xfail" | "expectedfailure")
    })
}

/// Whether a function skips the test in its own body (not counting nested functions), or is
/// decorated to be skipped or to fail.
fn skips_directly(ctx: &FunctionContext, function: &crate::unit::Function) -> bool {
    if function
        .decorators
        .iter()
        .any(|d| is_skip_or_xfail_decorator(ctx, *d))
    {
        return true;
    }
    let source = ctx.source();
    let calls_skip = function.nodes(Kind::Call).iter().any(|call| {
        let Some(callee) = field(*call, Field::Function) else {
            return false;
        };
        if kind(callee) == Kind::Attribute
            && field(callee, Field::Object).is_some_and(|o| is_self(source, o))
            && field(callee, Field::Attribute).and_then(|a| source.get(a.byte_range()))
                == Some("skipTest")
        {
            return true;
        }
        // `pytest.skip(..)`, `pytest.xfail(..)`, `pytest.importorskip(..)`, and the same
        // helpers of other frameworks (`sympy.testing.pytest.skip`).
        ctx.callee(*call).is_some_and(|path| {
            path.contains('.')
                && matches!(
                    path.rsplit('.').next(),
                    Some("skip" | "xfail" | "importorskip")
                )
        })
    });
    calls_skip
        || function.nodes(Kind::RaiseStatement).iter().any(|raise| {
            raise.named_child(0).is_some_and(|e| {
                let raised = if kind(e) == Kind::Call {
                    field(e, Field::Function)
                } else {
                    Some(e)
                };
                raised
                    .and_then(|r| source.get(r.byte_range()))
                    .is_some_and(|t| t.ends_with("SkipTest") || t.ends_with("skipException"))
            })
        })
}

/// What a function's own body amounts to.
pub fn body_shape(ctx: &FunctionContext, function: &crate::unit::Function) -> BodyShape {
    let source = ctx.source();
    let mut shape = BodyShape::Empty;
    let statements = function.body_statements();
    if statements.is_empty() {
        // No body at all (a broken definition while typing): nothing to say about it.
        return BodyShape::Statements;
    }
    for statement in statements {
        match kind(statement) {
            Kind::PassStatement => {}
            Kind::ExpressionStatement
                if statement.named_child_count() == 1
                    && statement.named_child(0).is_some_and(|e| {
                        matches!(
                            kind(e),
                            Kind::String | Kind::ConcatenatedString | Kind::Ellipsis
                        )
                    }) => {}
            Kind::RaiseStatement if shape == BodyShape::Empty => {
                let raised = statement.named_child(0).and_then(|e| {
                    if kind(e) == Kind::Call {
                        field(e, Field::Function)
                    } else {
                        Some(e)
                    }
                });
                if raised.and_then(|r| source.get(r.byte_range())) == Some("NotImplementedError") {
                    shape = BodyShape::NotImplemented;
                } else {
                    return BodyShape::Statements;
                }
            }
            _ => return BodyShape::Statements,
        }
    }
    shape
}

/// `Base.setUp(self)` — a method of a class called on `self` explicitly, the way code written
/// before `super()` calls the base class — or `Base.setUpClass()` in a class method.
fn is_base_class_call(
    source: &str,
    call: tree_sitter::Node,
    object: tree_sitter::Node,
    method: &str,
) -> bool {
    let class_like = match kind(object) {
        Kind::Identifier => source.get(object.byte_range()),
        Kind::Attribute => field(object, Field::Attribute).and_then(|a| source.get(a.byte_range())),
        _ => None,
    }
    .is_some_and(|name| name.starts_with(|c: char| c.is_ascii_uppercase()));
    if !class_like {
        return false;
    }
    let arguments = crate::model::positional_arguments(call);
    match arguments.first() {
        Some(first) => is_self(source, *first),
        None => crate::model::SetupKind::from_name(method, true).is_some(),
    }
}

/// What a call does with `self` when it receives it as an argument.
enum SelfArgument<'s> {
    /// `self` is not an argument, or the callee only inspects the object.
    None,
    /// `getattr(self, "x")`, `mock.patch.object(self, "x")`: attribute `x` is read.
    Reads(&'s str),
    /// The callee may read any attribute.
    Escapes,
}

fn self_argument_use<'s>(source: &'s str, call: tree_sitter::Node) -> SelfArgument<'s> {
    const INSPECTS_ONLY: &[&str] = &[
        "super",
        "isinstance",
        "issubclass",
        "type",
        "id",
        "hash",
        "repr",
        "str",
        "print",
        "callable",
    ];
    let arguments = crate::model::call_arguments(call);
    let Some(position) = arguments.iter().position(|a| {
        argument_value(*a).is_some_and(|v| {
            kind(v) == Kind::Identifier && source.get(v.byte_range()) == Some("self")
        })
    }) else {
        return SelfArgument::None;
    };
    // `getattr(self, "x")`, `mock.patch.object(self, "x", ...)`: a named attribute.
    if let Some(next) = arguments.get(position + 1)
        && kind(*next) == Kind::String
        && let Some(name) = crate::model::string_literal_value(source, *next)
        && !name.is_empty()
        && name.chars().all(|c| c == '_' || c.is_alphanumeric())
    {
        return SelfArgument::Reads(name);
    }
    let Some(callee) = field(call, Field::Function) else {
        return SelfArgument::Escapes;
    };
    let last = match kind(callee) {
        Kind::Identifier => source.get(callee.byte_range()),
        Kind::Attribute => field(callee, Field::Attribute).and_then(|a| source.get(a.byte_range())),
        _ => None,
    };
    let Some(last) = last else {
        return SelfArgument::Escapes;
    };
    let on_class = kind(callee) == Kind::Attribute
        && field(callee, Field::Object).is_some_and(|o| {
            let name = match kind(o) {
                Kind::Identifier => source.get(o.byte_range()),
                Kind::Attribute => {
                    field(o, Field::Attribute).and_then(|a| source.get(a.byte_range()))
                }
                _ => None,
            };
            name.is_some_and(|n| n.starts_with(|c: char| c.is_ascii_uppercase()))
        })
        && position == 0;
    if on_class {
        // `Base.method(self, ...)`: a method of a base class, recorded in `super_calls`.
        return SelfArgument::None;
    }
    if (kind(callee) == Kind::Identifier && INSPECTS_ONLY.contains(&last))
        || last.starts_with(|c: char| c.is_ascii_uppercase())
        || (kind(callee) == Kind::Attribute
            && field(callee, Field::Object).is_some_and(|o| is_self(source, o)))
    {
        // Builtins that only inspect the object; constructors (a fixture keeping the test to
        // call its API); a method of the test itself, whose own reads are followed.
        return SelfArgument::None;
    }
    SelfArgument::Escapes
}

/// The attributes of a function that are written by a plain `=` (the whole left side, or an
/// element of a tuple or list target: `self.a, self.b = ...`), by node id; these are writes,
/// not reads. `self.x += 1` reads too. Found from the function's assignments downwards, which
/// is cheaper than asking each attribute for its parents.
fn plain_assignment_targets(function: &crate::unit::Function) -> HashSet<usize> {
    let mut targets = HashSet::new();
    let mut stack = Vec::new();
    for assignment in function.nodes(Kind::Assignment) {
        let Some(left) = field(*assignment, Field::Left) else {
            continue;
        };
        stack.push(left);
        // Tuple targets nest only as deep as the source does; the stack bounds the walk.
        while let Some(node) = stack.pop() {
            match kind(node) {
                Kind::Attribute => {
                    targets.insert(node.id());
                }
                Kind::PatternList
                | Kind::TuplePattern
                | Kind::ListPattern
                | Kind::ExpressionList => {
                    let mut cursor = node.walk();
                    stack.extend(node.named_children(&mut cursor));
                }
                _ => {}
            }
        }
    }
    targets
}

fn self_writes(
    ctx: &FunctionContext,
    function: &crate::unit::Function,
    bindings: &[NameBinding],
) -> Vec<SelfWrite> {
    let source = ctx.source();
    let locals: HashSet<&str> = bindings.iter().map(|b| b.name.as_str()).collect();
    let mut out = Vec::new();
    for assignment in function.nodes(Kind::Assignment) {
        let Some(left) = field(*assignment, Field::Left) else {
            continue;
        };
        let targets: Vec<tree_sitter::Node> = if kind(left) == Kind::Attribute {
            vec![left]
        } else if matches!(
            kind(left),
            Kind::PatternList | Kind::TuplePattern | Kind::ExpressionList
        ) {
            let mut cursor = left.walk();
            left.named_children(&mut cursor)
                .filter(|n| kind(*n) == Kind::Attribute)
                .collect()
        } else {
            continue;
        };
        let statement = assignment
            .parent()
            .filter(|p| kind(*p) == Kind::ExpressionStatement);
        for target in targets {
            let (Some(object), Some(name)) = (
                field(target, Field::Object),
                field(target, Field::Attribute),
            ) else {
                continue;
            };
            if !is_self(source, object) {
                continue;
            }
            out.push(SelfWrite {
                name: source[name.byte_range()].to_string(),
                target: TextRange::of(target),
                statement: TextRange::of(statement.unwrap_or(*assignment)),
                value: field(*assignment, Field::Right).map(TextRange::of),
                annotated: field(*assignment, Field::Type).is_some(),
                evident_type: field(*assignment, Field::Right)
                    .filter(|_| kind(left) == Kind::Attribute)
                    .and_then(|value| evident_type(ctx, function, &locals, value)),
            });
        }
    }
    out
}

/// See [`FunctionSummary::camel_api_names`].
fn camel_api_names(ctx: &FunctionContext, function: &crate::unit::Function) -> Vec<String> {
    use crate::naming::NameStyle;
    let mut out: Vec<String> = Vec::new();
    let mut add = |word: &str| {
        if NameStyle::of(word) == Some(NameStyle::Camel) {
            out.push(word.to_string());
        }
    };
    for attribute in function.nodes(Kind::Attribute) {
        if let Some(name) = field(*attribute, Field::Attribute) {
            add(ctx.text(name));
        }
    }
    for keyword in function.nodes(Kind::KeywordArgument) {
        if let Some(name) = field(*keyword, Field::Name) {
            add(ctx.text(name));
        }
    }
    for string in function.nodes(Kind::StringContent) {
        for word in ctx
            .text(*string)
            .split(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
        {
            add(word);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Builtin types a call or literal can evidently produce.
const BUILTIN_TYPES: &[&str] = &[
    "dict",
    "list",
    "set",
    "tuple",
    "frozenset",
    "str",
    "int",
    "float",
    "bool",
    "bytes",
    "bytearray",
    "complex",
    "object",
];

/// The evident type of an assigned value (see [`SelfWrite::evident_type`]).
fn evident_type(
    ctx: &FunctionContext,
    function: &crate::unit::Function,
    locals: &HashSet<&str>,
    value: tree_sitter::Node,
) -> Option<String> {
    let source = ctx.source();
    let builtin = |name: &str| -> Option<String> {
        let shadowed = ctx.file.module_names.contains(name)
            || ctx.file.imports.get(name).is_some()
            || locals.contains(name)
            || function.local_imports.get(name).is_some();
        (!shadowed).then(|| name.to_string())
    };
    match kind(value) {
        Kind::Integer => builtin("int"),
        Kind::Float => builtin("float"),
        Kind::True | Kind::False => builtin("bool"),
        Kind::String | Kind::ConcatenatedString => {
            let start =
                source.get(value.start_byte()..value.end_byte().min(value.start_byte() + 3))?;
            let prefix: String = start
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            if prefix.contains(['b', 'B']) {
                builtin("bytes")
            } else {
                builtin("str")
            }
        }
        Kind::List | Kind::ListComprehension => builtin("list"),
        Kind::Dictionary | Kind::DictionaryComprehension => builtin("dict"),
        Kind::Set | Kind::SetComprehension => builtin("set"),
        Kind::Tuple => builtin("tuple"),
        Kind::UnaryOperator => {
            let operand = field(value, Field::Argument)?;
            matches!(kind(operand), Kind::Integer | Kind::Float)
                .then(|| evident_type(ctx, function, locals, operand))
                .flatten()
        }
        Kind::Call => {
            let callee = field(value, Field::Function)?;
            if kind(callee) == Kind::Attribute {
                let object = field(callee, Field::Object)?;
                let attribute = source.get(field(callee, Field::Attribute)?.byte_range())?;
                // self.useFixture(X(...)) gives the fixture.
                if attribute == "useFixture" && is_self(source, object) {
                    let arguments = crate::model::call_arguments(value);
                    let [argument] = arguments.as_slice() else {
                        return None;
                    };
                    return (kind(*argument) == Kind::Call)
                        .then(|| evident_type(ctx, function, locals, *argument))
                        .flatten();
                }
                // mock.patch(...).start() and mock.patch.object(...).start() give a MagicMock
                // unless `new`, `new_callable` or `autospec` say otherwise.
                if attribute == "start" && kind(object) == Kind::Call {
                    return patcher_start_type(ctx, function, object);
                }
            }
            let path = crate::model::dotted_name(source, callee)?;
            let root = path.split('.').next()?;
            let last = path.rsplit('.').next()?;
            if path == root && BUILTIN_TYPES.contains(&root) {
                return builtin(root);
            }
            let class_like = last.starts_with(|c: char| c.is_ascii_uppercase())
                && last.chars().any(|c| c.is_ascii_lowercase());
            let module_level = (ctx.file.imports.get(root).is_some()
                || ctx.file.module_names.contains(root))
                && !locals.contains(root)
                && function.local_imports.get(root).is_none()
                && !matches!(root, "self" | "cls");
            (class_like && module_level).then_some(path)
        }
        _ => None,
    }
}

/// `mock.MagicMock`, spelled through the file's imports, for a patcher's `start()`.
fn patcher_start_type(
    ctx: &FunctionContext,
    function: &crate::unit::Function,
    patcher: tree_sitter::Node,
) -> Option<String> {
    let callee = ctx.callee(patcher)?;
    let new_position = match callee.as_str() {
        "unittest.mock.patch" => 1,
        "unittest.mock.patch.object" => 2,
        _ => return None,
    };
    let source = ctx.source();
    if crate::model::positional_arguments(patcher).len() > new_position
        || crate::model::has_dictionary_splat(patcher)
        || ["new", "new_callable", "autospec"]
            .iter()
            .any(|k| crate::model::keyword_argument(source, patcher, k).is_some())
    {
        return None;
    }
    let spelled = ctx.file.imports.spell("unittest.mock.MagicMock")?;
    let root = spelled.split('.').next()?;
    function
        .local_imports
        .get(root)
        .is_none()
        .then_some(spelled)
}

/// The value of a positional or keyword argument.
fn argument_value(argument: tree_sitter::Node) -> Option<tree_sitter::Node> {
    if kind(argument) == Kind::KeywordArgument {
        field(argument, Field::Value)
    } else {
        Some(argument)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FileModel;
    use crate::settings::Settings;
    use crate::unit::Unit;

    /// `method_facts` skips most of a summary; what it does compute must be what a full
    /// summary says.
    #[test]
    fn method_facts_agree_with_full_summaries() {
        let source = "\
import unittest
from unittest import mock


class Base(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.api = mock.Mock()
        self.a, self.b = 1, 2
        mock.patch.stopall()

    def _check(self, server, expect_status=True):
        found = self.api.get(server)
        self._verify(found, check_status=expect_status)
        Base.helper(self, server)

        def inner():
            assert self.a
            return compare(self, found)

        return inner

    def _boot(self, name):
        self.useFixture(fixtures.NestedTempfile())
        server = self._create(name, callback=self._after)
        return helpers.wait(self, server)

    def test_thing(self):
        self.assertEqual(1, self.b)
";
        let tree = crate::parse::parse(source, None);
        let file = FileModel::build(&tree, source, None);
        let settings = Settings::default();
        let mut compared = 0;
        for node in &file.units {
            let unit = Unit::build(&file, &settings, *node);
            let ctx = FunctionContext {
                file: &file,
                settings: &settings,
                unit: &unit,
                function: unit.root(),
            };
            assert_eq!(
                method_facts(&ctx),
                MethodFacts::from_summary(&summarize(&ctx))
            );
            compared += 1;
        }
        assert_eq!(compared, 4);
    }
}
