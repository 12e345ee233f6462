use std::collections::{HashMap, HashSet};

use crate::diagnostic::Diagnostic;
use crate::model::{Base, ClassId, FileModel, FunctionKind, TestStyle, is_framework_base};
use crate::registry::RuleId;
use crate::rule::{Category, FileContext, Rule, Severity};
use crate::summary::{BodyShape, FunctionSummary};
use crate::settings::Settings;
use crate::workspace::{MethodLookup, Mro, MroEntry};


pub const RULE: Rule = Rule {
    id: RuleId::TestWithoutAssertion,
    code: "TQ501",
    name: "test-without-assertion",
    category: Category::Assertions,
    default_enabled: true,
    severity: Severity::Warning,
    fix: None,
    summary: "a test with no assertion, directly or through the helpers it calls",
    doc: r#"
### What it flags
A test that checks nothing: no `assert` statement, no `self.assert*` or `self.fail*` call, no
`pytest.raises`/`pytest.warns`/`pytest.fail`, no `assertRaises` or
`testtools.ExpectedException` context, no mock assertion (`m.assert_called_once_with(..)`), no
patch whose replacement is a `NonCallableMock` (`new_callable=mock.NonCallableMock`: calling
the target raises, so the test checks it is never called), and no call to a helper that asserts.

Helpers are followed transitively: `self._assert_pci_device_allocated(..)` counts when the body
of `_assert_pci_device_allocated` asserts, whether it is defined in the test's class, in a base
class or mixin defined in the same file, or (for a method a base class leaves to its
subclasses) in a subclass in the same file. Helpers inherited from base classes and mixins in
other files of the project (Nova's `test.TestCase`, `integrated_helpers.InstanceHelperMixin`)
are found through the workspace's class index and followed the same way, through the `self.`
and `super()` calls they make. Module functions of the file are followed the same
way when the test calls them, decorates itself with them, or hands them over as callbacks
(`side_effect=fake_get`, `side_effect=self._fake_get`). A decorator named like an assertion
helper (`@check_figures_equal()`) or pytest-mpl's `@pytest.mark.mpl_image_compare` counts as an
assertion too.

Any call whose name matches one of the assertion-helper patterns counts as an assertion without
being followed: by default `assert*`, `_assert*`, `check*`, `_check*`, `verify*`, `_verify*`,
`expect*`, `_expect*` and `_wait_for*`; add your own with the `assertion-helpers` setting. So
does a call that asks its callee to check, through a keyword argument named that way
(`api_post(url, body, check_response_status=[400])`), unless its value is `False` or `None`;
keywords starting with `expect` are data rather than checks (`expected_attrs=[...]`) and do
not count.

### Why it matters
A test without an assertion passes as long as nothing raises. It runs the code, but it does not
say what the code should do, so it keeps passing when the behaviour it was written for breaks.
Readers cannot tell whether the missing check is deliberate.

### Example
```python
def test_rebuild_server(self):
    server = self._create_server()
    self.api.post_server_action(server["id"], {"rebuild": {"imageRef": IMAGE}})
```

### Use instead
```python
def test_rebuild_server(self):
    server = self._create_server()
    self.api.post_server_action(server["id"], {"rebuild": {"imageRef": IMAGE}})
    server = self._wait_for_state_change(server, "ACTIVE")
    self.assertEqual(IMAGE, server["image"]["id"])
```

When the point of the test is that a call does not raise, say so in the test's docstring and
suppress the finding with `# noqa: TQ501` on the `def` line.

### Fix
None: only the author knows what the test should check.

### Known limits
- When the test calls a method of `self` that a base class the index cannot read might
  define (a class of a third-party package, a base written in a form the index does not
  follow), or a class-level attribute of a base in another file, the method might assert, so
  the rule stays silent. Methods of the framework's own `TestCase` (`addCleanup`,
  `useFixture`, `subTest`, `patch`…) are known not to assert. An inherited helper from
  another file is followed only through its calls on `self` and `super()`: a module function
  it calls is taken not to assert unless its name matches the assertion-helper patterns.
- For the same reason it stays silent when the test calls an attribute of `self` that holds
  something other than a mock or a function of the file (`cls.check = partial(_check, ...)`),
  hands `self` to a function of another module
  (`compare_obj(self, ...)`; an inherited helper that does so counts too), installs a fake
  imported from the project's test code
  (`side_effect=fakes.fake_get`, `stub_out(.., fakes.stub_volume_get)`), calls a method of
  `self` it cannot find anywhere, or reaches a helper whose body is only `pass` or
  `raise NotImplementedError` (a subclass elsewhere is expected to fill it in). A pytest-style
  test that calls a function imported from the project's test code (a module under `tests`,
  `test_*`, `conftest`, `*helpers*`, or a relative import) is left alone too: such helpers
  assert with a plain `assert`. Functions of other modules are taken not to assert.
- Assertions in the class's `tearDown` (or `asyncTearDown`), its own or inherited, count for
  every test of the class, and so do those of the methods its `setUp` (defined in the file)
  hands over: a stub it installs (`self.stub_out(target, self._fake_spawn)`) or a cleanup it
  registers (`self.addCleanup(self._check_no_leaks)`).
- Tests that skip themselves (`self.skipTest(..)`, `pytest.skip(..)`, `@unittest.skip(..)`)
  or are marked as expected failures (`@pytest.mark.xfail`, `@unittest.expectedFailure`; their
  outcome is the exception they raise) are not flagged, and neither are empty tests: TQ604
  reports those.
- Any call matching the patterns counts, even when it is a method of the code under test
  (`self.compute.check_instance(..)`).
"#,
    function_check: None,
    module_check: None,
    file_check: Some(check),
};

fn check(ctx: &FileContext, out: &mut Vec<Diagnostic>) {
    let index = FileIndex::new(ctx);
    for (position, summary) in ctx.functions.iter().enumerate() {
        if !summary.is_test() || summary.parent.is_some() || summary.body != BodyShape::Statements
        {
            continue;
        }
        if index.verdict(position) == Verdict::NoAssertion && !summary.patches_non_callable {
            out.push(Diagnostic::new(
                RuleId::TestWithoutAssertion,
                summary.name_range,
                format!(
                    "Test `{}` has no assertion: it passes whenever it does not raise",
                    summary.name
                ),
            ));
        }
    }
}

/// What following a test's calls found out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    /// Something on the way asserts (or skips the test).
    Asserts,
    /// Nothing asserts, but a call went somewhere that could not be read.
    Unknown,
    NoAssertion,
}

/// Where a name looked up on `self` leads.
enum Lookup {
    /// Definitions in this file (the summaries' indices).
    Found(Vec<usize>),
    /// Known not to assert: a framework method or an instance attribute.
    Absent,
    Asserts,
    Unknown,
}

/// What the bases of a class defined outside the file say about a method.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outside {
    /// No class of its method resolution order defines it.
    NotDefined,
    /// It asserts, or something it calls on `self` outside the file does.
    Asserts,
    /// Everything it reaches is known and nothing asserts.
    DoesNotAssert,
    /// Nothing outside the file asserts, but it reaches these methods of the file.
    Follow(Vec<usize>),
    /// A base that could define it, or something it reaches, is not known.
    Unknown,
}

/// Modules whose functions may receive a test case without asserting through it
/// (`mock.patch.object(self, ..)`, `copy.copy(self)`).
const LIBRARY_MODULES: &[&str] = &[
    "unittest.mock",
    "fixtures",
    "functools",
    "copy",
    "weakref",
    "inspect",
    "types",
    "threading",
    "logging",
    "contextlib",
    "operator",
    "collections",
    "pickle",
    "json",
];

/// Builtins that take an object without calling its methods.
const INERT_BUILTINS: &[&str] = &[
    "super",
    "isinstance",
    "issubclass",
    "type",
    "id",
    "hash",
    "hasattr",
    "setattr",
    "delattr",
    "str",
    "repr",
    "print",
    "vars",
    "dir",
    "len",
];

/// Lookups over the file's classes and functions.
struct FileIndex<'a, 't> {
    file: &'a FileModel<'t>,
    settings: &'a Settings,
    functions: &'a [FunctionSummary],
    /// `(class, name)` → the last top-level definition with that name.
    definitions: HashMap<(Option<ClassId>, &'a str), usize>,
    /// Each class's in-file ancestors in method-resolution order (itself first).
    ancestors: Vec<Vec<ClassId>>,
    /// For the file's classes seen through the workspace's class index.
    context: &'a FileContext<'a, 't>,
}

impl<'a, 't> FileIndex<'a, 't> {
    fn new(context: &'a FileContext<'a, 't>) -> Self {
        let (file, settings, functions) = (context.file, context.settings, context.functions);
        let mut definitions = HashMap::new();
        for (position, summary) in functions.iter().enumerate() {
            if summary.parent.is_none() {
                definitions.insert((summary.class, summary.name.as_str()), position);
            }
        }
        let ancestors = (0..file.classes.len())
            .map(|id| in_file_ancestors(file, id))
            .collect();
        Self {
            file,
            settings,
            functions,
            definitions,
            ancestors,
            context,
        }
    }

    fn ancestors(&self, class: ClassId) -> &[ClassId] {
        self.ancestors.get(class).map_or(&[], Vec::as_slice)
    }

    /// Classes of the file that inherit from `class`, directly or not.
    fn descendants(&self, class: ClassId) -> impl Iterator<Item = ClassId> + '_ {
        (0..self.ancestors.len())
            .filter(move |&other| other != class && self.ancestors(other).contains(&class))
    }

    /// Bases of `class` and of its in-file ancestors that are defined outside the file.
    fn outside_bases(&self, class: ClassId) -> Vec<&'a Base> {
        let file: &'a FileModel<'t> = self.file;
        let mut out = Vec::new();
        for &ancestor in self.ancestors(class) {
            if let Some(c) = file.classes.get(ancestor) {
                for base in &c.bases {
                    if in_file_class(file, base).is_none() {
                        out.push(base);
                    }
                }
            }
        }
        out
    }

    /// Follows everything the test at `test` calls until an assertion turns up.
    fn verdict(&self, test: usize) -> Verdict {
        let Some(summary) = self.functions.get(test) else {
            return Verdict::Unknown;
        };
        let verdict = self.follow(test, summary.class);
        if verdict != Verdict::NoAssertion {
            return verdict;
        }
        // Checks that `tearDown` makes after every test count for each of them.
        let Some(class) = summary.class else {
            return verdict;
        };
        let mut tear_downs = Vec::new();
        for name in ["tearDown", "asyncTearDown"] {
            let found = self.in_file_definitions(class, name);
            if !found.is_empty() {
                tear_downs.extend(found);
                continue;
            }
            // A `tearDown` inherited from a base class of another file.
            match self.method_outside_file(class, name, false) {
                Outside::Asserts => return Verdict::Asserts,
                Outside::Follow(found) => tear_downs.extend(found),
                Outside::NotDefined | Outside::DoesNotAssert | Outside::Unknown => {}
            }
        }
        for tear_down in tear_downs {
            if self.follow(tear_down, Some(class)) == Verdict::Asserts {
                return Verdict::Asserts;
            }
        }
        // Methods that `setUp` hands over (`self.stub_out(target, self._fake_spawn)`,
        // `self.addCleanup(self._check_leaks)`) run while or after every test runs: checks
        // they make count for each test too.
        for set_up in self.in_file_definitions(class, "setUp") {
            let Some(function) = self.functions.get(set_up) else {
                continue;
            };
            for name in &function.self_reads {
                if function.self_calls.binary_search(name).is_ok() {
                    continue;
                }
                if name.starts_with("assert") || name.starts_with("fail") {
                    return Verdict::Asserts;
                }
                for callback in self.in_file_definitions(class, name) {
                    if self.follow(callback, Some(class)) == Verdict::Asserts {
                        return Verdict::Asserts;
                    }
                }
            }
        }
        verdict
    }

    /// Follows everything the function at `start` reaches, with `self` an instance of `class`.
    fn follow(&self, start: usize, class: Option<ClassId>) -> Verdict {
        let test = start;
        let pytest_style = self
            .functions
            .get(start)
            .is_some_and(|f| f.kind == FunctionKind::Test(TestStyle::Pytest));
        let mut unknown = false;
        let mut visited: HashSet<usize> = HashSet::new();
        let mut work = vec![start];
        while let Some(position) = work.pop() {
            if !visited.insert(position) {
                continue;
            }
            let Some(function) = self.functions.get(position) else {
                continue;
            };
            if function.asserts || function.skips {
                return Verdict::Asserts;
            }
            if position != test && function.body != BodyShape::Statements {
                // A placeholder a subclass elsewhere is expected to override.
                unknown = true;
                continue;
            }
            for name in &function.self_calls {
                match self.lookup_on_self(class, name) {
                    Lookup::Found(found) => work.extend(found),
                    Lookup::Absent => {}
                    Lookup::Asserts => return Verdict::Asserts,
                    Lookup::Unknown => unknown = true,
                }
            }
            for name in &function.self_reads {
                if function.self_calls.binary_search(name).is_ok() {
                    continue;
                }
                // A method handed over as a callback (`side_effect=self._fake`).
                if name.starts_with("assert") || name.starts_with("fail") {
                    return Verdict::Asserts;
                }
                if let Some(class) = class {
                    work.extend(self.in_file_definitions(class, name));
                }
            }
            for name in &function.super_calls {
                match self.lookup_on_super(function.class, name) {
                    Lookup::Found(found) => work.extend(found),
                    Lookup::Absent => {}
                    Lookup::Asserts => return Verdict::Asserts,
                    Lookup::Unknown => unknown = true,
                }
            }
            // Plain calls, callbacks, and decorators of this file (a decorator can wrap the
            // test in a check).
            for name in function
                .bare_calls
                .iter()
                .chain(&function.passed_names)
                .chain(&function.decorators)
            {
                if let Some(&found) = self.definitions.get(&(None, name.as_str())) {
                    work.push(found);
                }
            }
            // Decorators from elsewhere: some compare what the test produces (pytest-mpl's
            // `mpl_image_compare`, `@check_figures_equal()`), and the project's own may check
            // anything.
            for decorator in &function.decorators {
                if self.definitions.contains_key(&(None, decorator.as_str())) {
                    continue;
                }
                // Decorators are recorded as the path they resolve to through the imports.
                let last = decorator.rsplit('.').next().unwrap_or(decorator);
                if self.settings.is_assertion_helper(last)
                    || decorator == "pytest.mark.mpl_image_compare"
                {
                    return Verdict::Asserts;
                }
                if is_test_support_function(decorator) {
                    unknown = true;
                }
            }
            // A helper of the project's test code may assert with a plain `assert`, which
            // pytest-style tests rely on; a fake from there may assert when it is run.
            let support_calls = function
                .imported_calls
                .iter()
                .filter(|_| pytest_style)
                .chain(&function.imported_callbacks);
            if support_calls
                .into_iter()
                .any(|path| is_test_support_function(path))
            {
                unknown = true;
            }
            for callee in &function.self_passed_to {
                match self.lookup_receiver_of_self(callee) {
                    Lookup::Found(found) => work.extend(found),
                    Lookup::Absent => {}
                    Lookup::Asserts => return Verdict::Asserts,
                    Lookup::Unknown => unknown = true,
                }
            }
        }
        if unknown {
            Verdict::Unknown
        } else {
            Verdict::NoAssertion
        }
    }

    /// Definitions of `name` that a call on an instance of `class` can reach: the first one in
    /// the method-resolution order, and overrides in subclasses of the file.
    fn in_file_definitions(&self, class: ClassId, name: &str) -> Vec<usize> {
        let mut found = Vec::new();
        if let Some(&position) = self
            .ancestors(class)
            .iter()
            .find_map(|&c| self.definitions.get(&(Some(c), name)))
        {
            found.push(position);
        }
        for descendant in self.descendants(class) {
            if let Some(&position) = self.definitions.get(&(Some(descendant), name)) {
                found.push(position);
            }
        }
        found
    }

    /// `self.<name>(..)` in a method of `class`.
    fn lookup_on_self(&self, class: Option<ClassId>, name: &str) -> Lookup {
        let Some(class) = class else {
            // `self` outside a class: some object handed in; nothing to follow.
            return Lookup::Absent;
        };
        let found = self.in_file_definitions(class, name);
        if !found.is_empty() {
            return Lookup::Found(found);
        }
        if crate::workspace::TEST_CASE_METHODS.contains(&name) {
            return Lookup::Absent;
        }
        if let Some(lookup) = self.attribute_call(class, name) {
            return lookup;
        }
        match self.method_outside_file(class, name, false) {
            Outside::Asserts => Lookup::Asserts,
            Outside::DoesNotAssert => Lookup::Absent,
            Outside::Follow(found) => Lookup::Found(found),
            // Defined nowhere we can see: a subclass elsewhere (or a mixin's host class)
            // provides it.
            Outside::NotDefined | Outside::Unknown => Lookup::Unknown,
        }
    }

    /// `super().<name>(..)` in a method of `class`.
    fn lookup_on_super(&self, class: Option<ClassId>, name: &str) -> Lookup {
        let Some(class) = class else {
            return Lookup::Unknown;
        };
        let found: Vec<usize> = self
            .ancestors(class)
            .iter()
            .skip(1)
            .find_map(|&c| self.definitions.get(&(Some(c), name)).copied())
            .into_iter()
            .collect();
        if !found.is_empty() {
            return Lookup::Found(found);
        }
        if crate::workspace::TEST_CASE_METHODS.contains(&name) {
            return Lookup::Absent;
        }
        match self.method_outside_file(class, name, true) {
            Outside::Asserts => Lookup::Asserts,
            Outside::DoesNotAssert | Outside::NotDefined => Lookup::Absent,
            Outside::Follow(found) => Lookup::Found(found),
            Outside::Unknown => Lookup::Unknown,
        }
    }

    /// A call that hands `self` to `callee` (a dotted name as written).
    fn lookup_receiver_of_self(&self, callee: &str) -> Lookup {
        let mut parts = callee.split('.');
        let first = parts.next().unwrap_or(callee);
        let rest: Vec<&str> = parts.collect();
        match rest.as_slice() {
            [] => {
                if self.definitions.contains_key(&(None, first)) {
                    // A module function of this file: followed as a plain call.
                    return Lookup::Absent;
                }
                if INERT_BUILTINS.contains(&first) && self.file.imports.get(first).is_none() {
                    return Lookup::Absent;
                }
            }
            // `Base.method(self, ..)` with `Base` a class of this file.
            [method] => {
                if let Some(class) = self
                    .file
                    .classes
                    .iter()
                    .rev()
                    .find(|c| c.parent.is_none() && c.name == first)
                {
                    let found = self.in_file_definitions(class.id, method);
                    return if found.is_empty() {
                        Lookup::Unknown
                    } else {
                        Lookup::Found(found)
                    };
                }
            }
            _ => {}
        }
        if let Some(path) = self.file.imports.get(first)
            && LIBRARY_MODULES
                .iter()
                .any(|m| path == *m || path.strip_prefix(m).is_some_and(|r| r.starts_with('.')))
        {
            return Lookup::Absent;
        }
        Lookup::Unknown
    }

    /// What the bases of `class` (or of its in-file ancestors) that are defined outside this
    /// file contribute for method `name` (for `super().<name>` with `after_class`: only the
    /// classes after `class` in its method resolution order).
    ///
    /// The workspace's class index gives the method resolution order. A method found in a
    /// class of another file is followed through the `self.` and `super()` calls it makes
    /// (and the methods it reads from `self`, handed over as callbacks): methods of other
    /// files are judged by their facts, methods of this file it reaches (an override in the
    /// test's class, say) are handed back to be followed like the test's own calls.
    fn method_outside_file(&self, class: ClassId, name: &str, after_class: bool) -> Outside {
        if self.outside_bases(class).iter().all(|base| is_framework_base(base)) {
            return Outside::NotDefined;
        }
        let Some(mro) = self.mro(class) else {
            return Outside::Unknown;
        };
        let found = match if after_class {
            mro.lookup_after(0, name)
        } else {
            mro.lookup(name)
        } {
            MethodLookup::Found(found) => found,
            MethodLookup::NotDefined => return Outside::NotDefined,
            // A class-level attribute (`check = staticmethod(..)`, `partial(..)`) could be
            // anything; an unresolved base could define the method.
            MethodLookup::Attribute | MethodLookup::Unknown => return Outside::Unknown,
        };
        let reach = mro.reach([found]);
        let mut unknown = reach.unknown;
        let mut local = Vec::new();
        for method in &reach.methods {
            match mro.entries.get(method.owner) {
                Some(MroEntry::Class(owner)) if owner.local_id.is_some() => {
                    // A method of this file: followed with everything the rule knows.
                    if let Some(&position) = self
                        .definitions
                        .get(&(owner.local_id, method.facts.name.as_str()))
                    {
                        local.push(position);
                    }
                }
                Some(MroEntry::Class(_)) => {
                    if method.facts.asserts(self.settings) {
                        return Outside::Asserts;
                    }
                    // A placeholder a subclass elsewhere fills in, or `self` handed to code
                    // that may assert through it.
                    if method.facts.placeholder || method.facts.self_escapes {
                        unknown = true;
                    }
                }
                Some(MroEntry::Framework(_)) => {
                    if method.facts.asserts(self.settings) {
                        return Outside::Asserts;
                    }
                }
                Some(MroEntry::Unknown(_)) | None => unknown = true,
            }
        }
        if unknown {
            Outside::Unknown
        } else if local.is_empty() {
            Outside::DoesNotAssert
        } else {
            Outside::Follow(local)
        }
    }

    /// The method resolution order of each class of the file, computed on first use.
    fn mro(&self, class: ClassId) -> Option<&'a Mro> {
        (class < self.file.classes.len()).then(|| self.context.classes().mro(class))
    }

    /// `self.<name>(..)` where `name` is an attribute rather than a method: assigned as
    /// `self.<name> = ...` in a method of the class, its in-file ancestors or subclasses, or set
    /// in one of their class bodies. A mock (`self.notifier = mock.Mock()`) does not assert; a
    /// function of the file (`self.post = post`, with `post` nested in `setUp`) is followed;
    /// anything else (`cls.check = partial(_check_result, ...)`) might assert. `None` when
    /// `name` is not such an attribute.
    fn attribute_call(&self, class: ClassId, name: &str) -> Option<Lookup> {
        let related: Vec<ClassId> = self
            .ancestors(class)
            .iter()
            .copied()
            .chain(self.descendants(class))
            .collect();
        let in_class_body = related.iter().any(|&c| {
            self.file.classes.get(c).is_some_and(|c| {
                c.class_attributes.iter().any(|a| a == name)
                    || c.annotations.iter().any(|a| a.name == name)
            })
        });
        let mut assigned = false;
        let mut found = Vec::new();
        for (writer, function) in self.functions.iter().enumerate() {
            if !function.class.is_some_and(|c| related.contains(&c)) {
                continue;
            }
            for write in function.self_writes.iter().filter(|w| w.name == name) {
                assigned = true;
                let value = write
                    .value
                    .and_then(|v| self.file.source.get(v.as_range()))
                    .map(str::trim)
                    .unwrap_or("");
                if value == "None"
                    || ["Mock", "mock", "patch", "autospec"]
                        .iter()
                        .any(|m| value.contains(m))
                {
                    continue;
                }
                let nested = self
                    .functions
                    .iter()
                    .enumerate()
                    .rev()
                    .find(|(_, f)| f.parent == Some(writer) && f.name == value)
                    .map(|(position, _)| position);
                let method = value
                    .strip_prefix("self.")
                    .map(|m| self.in_file_definitions(class, m))
                    .filter(|m| !m.is_empty());
                match (nested, self.definitions.get(&(None, value)), method) {
                    (Some(position), _, _) | (None, Some(&position), _) => found.push(position),
                    (None, None, Some(methods)) => found.extend(methods),
                    (None, None, None) => return Some(Lookup::Unknown),
                }
            }
        }
        if in_class_body {
            return Some(Lookup::Unknown);
        }
        if !assigned {
            return None;
        }
        Some(if found.is_empty() {
            Lookup::Absent
        } else {
            Lookup::Found(found)
        })
    }
}

/// Whether a dotted path leads to a function of the project's test code (`tests.helpers.run`,
/// `.utils.compare`, `nova.tests.unit.fake_instance.fake_instance_obj`), as opposed to a class
/// (capitalised) or a test framework's own module.
fn is_test_support_function(path: &str) -> bool {
    const FRAMEWORKS: &[&str] = &["unittest", "pytest", "testtools", "testscenarios"];
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else {
        return false;
    };
    if last.starts_with(|c: char| c.is_ascii_uppercase())
        || parts.first().is_some_and(|first| FRAMEWORKS.contains(first))
    {
        return false;
    }
    path.starts_with('.')
        || parts.iter().any(|part| {
            part.starts_with("test")
                || part.ends_with("test")
                || part.ends_with("tests")
                || part.contains("helper")
                || *part == "conftest"
        })
}

/// The class of this file a base names, if any (the last top-level class of that name).
fn in_file_class(file: &FileModel, base: &Base) -> Option<ClassId> {
    file.classes
        .iter()
        .rev()
        .find(|c| c.parent.is_none() && c.name == base.text)
        .map(|c| c.id)
}

/// A class's in-file ancestors, itself first, depth-first left to right (close enough to
/// Python's method-resolution order for finding the first definition of a name).
fn in_file_ancestors(file: &FileModel, class: ClassId) -> Vec<ClassId> {
    let mut order = Vec::new();
    let mut seen = HashSet::new();
    let mut stack = vec![class];
    while let Some(current) = stack.pop() {
        if !seen.insert(current) {
            continue;
        }
        order.push(current);
        if let Some(c) = file.classes.get(current) {
            let bases: Vec<ClassId> = c
                .bases
                .iter()
                .filter_map(|b| in_file_class(file, b))
                .collect();
            stack.extend(bases.into_iter().rev());
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_support_functions() {
        for yes in [
            "tests.helpers.run_order",
            ".utils.run_and_compare",
            "nova.tests.unit.fake_instance.fake_instance_obj",
            "myapp.testing.compare",
            "conftest.make_order",
            "shop.order_helpers.place",
            "testfixtures.compare",
        ] {
            assert!(is_test_support_function(yes), "{yes}");
        }
        for no in [
            "nova.compute.api.get",
            "nova.tests.unit.fake_instance.FakeInstance",
            "unittest.mock.patch",
            "testtools.matchers.Equals",
            "pytest.approx",
            "json.dumps",
        ] {
            assert!(!is_test_support_function(no), "{no}");
        }
    }
}
