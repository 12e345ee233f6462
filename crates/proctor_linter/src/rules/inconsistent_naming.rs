use std::collections::{HashMap, HashSet};

use crate::Applicability;
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::model::{Class, ClassKind, FileModel, FunctionKind, TestStyle};
use crate::naming::NameStyle;
use crate::registry::RuleId;
use crate::rule::{Category, FileContext, Rule, Severity};
use crate::scope::NameRole;
use crate::summary::FunctionSummary;
use crate::text::TextRange;
use crate::workspace::{FileClasses, MroEntry};

pub const RULE: Rule = Rule {
    id: RuleId::InconsistentNaming,
    code: "TQ201",
    name: "inconsistent-naming",
    category: Category::Naming,
    default_enabled: true,
    severity: Severity::Warning,
    fix: Some(Applicability::Safe),
    summary: "a function, parameter or local whose style (camelCase vs snake_case) differs from the file's",
    doc: r#"
### What it flags
A function, method, parameter or local variable named in camelCase in a file that mostly
names them in snake_case, or the other way round. The file's dominant style is counted over
the names it chooses itself: function and method names, parameters and locals (assignment,
`for`, `with … as`, `except … as` and `:=` targets, nested functions). Names that fit both
styles (`server`) or neither (`ServerTest`, `MAX_WAIT`, `fake_getInfo`) are not counted.

**Names a framework mandates are never flagged**, nor counted: the unittest and testtools API
(`setUp`, `tearDown`, `setUpClass`, `tearDownClass`, `setUpModule`, `tearDownModule`,
`asyncSetUp`, `asyncTearDown`, `setUpTestData`, `addCleanup`, `useFixture`, `maxDiff`,
`longMessage`, `failureException`, `runTest`, `id`, `shortDescription`…), the fixtures API
(`_setUp`, `cleanUp`), custom assertions named like unittest's (`assertServerActive`,
`_assertXmlEqual`, `failUnlessFoo`), and any method that overrides a method of a base class
defined in the workspace, with its parameters. Hovering such a name says why it is exempt.

### Why it matters
One naming style per file lets a reader tell at a glance what is a name and how to spell it.
A camelCase helper among snake_case ones is a name someone will misspell, and in a test file
it is usually a sign of copied code whose conventions nobody adjusted.

### Example
```python
def test_evacuate(self):
    serverId = self._create_server()['id']
    self._evacuate(serverId)
```

### Use instead
```python
def test_evacuate(self):
    server_id = self._create_server()['id']
    self._evacuate(server_id)
```

### Fix
Safe, for a local variable or a nested function, and for a parameter of a test, of a
function nested in a test or helper, or of a private helper (`_name`) when no call in the file
passes it by keyword and no decorator other than `mock.patch` wraps the function: renames
every occurrence in that function's scope — nested functions included, unless they bind the
name again — to the file's style. No fix when the new name is a keyword or a builtin, is
already used in the scope or would be given to another name too, when a class defined in the
scope uses the name (it may be a class attribute), or when the scope calls `locals()`,
`vars()`, `eval` or `exec`.
Function and method names, which other files may import or call, are renamed by hand.

### Known limits
Test names are left to TQ202 (mixed-test-name-style). Parameters of pytest tests and
fixtures are fixture names and are never flagged. Names that mirror an API are not flagged:
camelCase methods of classes that are not test classes (fakes such as a fake libvirt
`Domain.createWithFlags`, with their parameters), camelCase module functions of a file that
has such a fake (`openAuth` in a fake libvirt module), and any camelCase name the file also
uses as an attribute, a keyword argument or a word of a string
(`sourceName = kwargs.get('sourceName')`). Methods of classes whose bases cannot be resolved
are not flagged either. A file where neither style has the majority is not checked. In a
camelCase file, snake_case names are flagged without the API exemptions.
"#,
    function_check: None,
    module_check: None,
    file_check: Some(check),
};

/// Why a camelCase name is mandated by a framework, for the hover; `None` when it is not.
///
/// Pure and position-free: the language server calls it for the name under the cursor.
pub fn exemption_reason(name: &str) -> Option<&'static str> {
    let reason = match name {
        "setUp" | "tearDown" | "setUpClass" | "tearDownClass" | "asyncSetUp"
        | "asyncTearDown" => {
            "a unittest set-up/tear-down hook: the test runner calls it by this exact name"
        }
        "setUpModule" | "tearDownModule" => {
            "a unittest module fixture: the test loader calls it by this exact name"
        }
        "setUpTestData" => "a Django TestCase hook: Django calls it by this exact name",
        "addCleanup" | "addClassCleanup" | "doCleanups" | "doClassCleanups" | "enterContext"
        | "enterClassContext" | "addTypeEqualityFunc" | "skipTest" | "subTest"
        | "countTestCases" | "defaultTestResult" | "shortDescription" | "runTest" | "id"
        | "run" | "debug" => {
            "part of the unittest.TestCase API: overriding or calling it needs this exact name"
        }
        "maxDiff" | "longMessage" | "failureException" => {
            "a unittest.TestCase attribute: unittest reads it by this exact name"
        }
        "useFixture" | "addDetail" | "getDetails" | "addOnException" | "getUniqueInteger"
        | "getUniqueString" | "expectFailure" | "expectThat" | "addDetailUniqueName"
        | "onException" => {
            "part of the testtools.TestCase API: overriding or calling it needs this exact name"
        }
        "_setUp" | "cleanUp" => {
            "part of the fixtures.Fixture API: the fixture protocol calls it by this exact name"
        }
        "startTest" | "stopTest" | "startTestRun" | "stopTestRun" | "addSuccess" | "addError"
        | "addFailure" | "addSkip" | "addExpectedFailure" | "addUnexpectedSuccess"
        | "addSubTest" | "addDuration" | "wasSuccessful" => {
            "part of the unittest.TestResult API: the runner calls it by this exact name"
        }
        _ if is_assertion_name(name) => {
            "named like unittest's own assertions (`assertEqual`, `failUnless`), as custom assertions of a TestCase conventionally are"
        }
        _ => return None,
    };
    Some(reason)
}

/// `assertFoo`, `_assertFoo`, `failFoo`, `_failFoo`.
fn is_assertion_name(name: &str) -> bool {
    let core = name.strip_prefix('_').unwrap_or(name);
    ["assert", "fail"].iter().any(|prefix| {
        core.strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
    })
}

/// Whether a method of `class` overrides a method of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Override {
    /// A base class defines a method of that name.
    Yes,
    /// Every base is known and none defines it.
    No,
    /// Some base cannot be resolved: the method may override it.
    Unknown,
}

/// Bases whose methods are all in [`exemption_reason`]'s list or are not camelCase.
const KNOWN_ROOTS: &[&str] = &[
    "unittest.TestCase",
    "unittest.case.TestCase",
    "unittest.IsolatedAsyncioTestCase",
    "testtools.TestCase",
    "testtools.testcase.TestCase",
    "fixtures.Fixture",
    "fixtures.TestWithFixtures",
    "oslotest.base.BaseTestCase",
];

/// Builtin classes a class may derive from without bringing camelCase methods.
const BUILTIN_BASES: &[&str] = &[
    "object",
    "Exception",
    "BaseException",
    "ValueError",
    "TypeError",
    "KeyError",
    "RuntimeError",
    "AttributeError",
    "LookupError",
    "IndexError",
    "OSError",
    "IOError",
    "NotImplementedError",
    "AssertionError",
    "StopIteration",
    "dict",
    "list",
    "set",
    "tuple",
    "str",
    "int",
    "float",
    "bytes",
];

/// Whether a method named `name` of `class` overrides a method of a base class, looking only
/// at this file: bases defined in it, the known framework roots and builtin bases. Any other
/// base makes the answer [`Override::Unknown`]. Position-free: usable from function checks.
pub fn override_in_file(file: &FileModel, class: &Class, name: &str) -> Override {
    let by_name: HashMap<&str, &Class> = file
        .classes
        .iter()
        .filter(|c| c.parent.is_none())
        .map(|c| (c.name.as_str(), c))
        .collect();
    let mut seen: HashSet<usize> = HashSet::new();
    let mut stack: Vec<&Class> = vec![class];
    let mut unknown = false;
    while let Some(current) = stack.pop() {
        if !seen.insert(current.id) {
            continue;
        }
        for base in &current.bases {
            if let Some(parent) = by_name.get(base.text.as_str()) {
                if parent.method_names.iter().any(|m| m == name)
                    || parent.class_attributes.iter().any(|a| a == name)
                {
                    return Override::Yes;
                }
                stack.push(parent);
                continue;
            }
            let resolved = base.resolved.as_deref();
            let builtin = resolved.is_none() && BUILTIN_BASES.contains(&base.text.as_str());
            if builtin || resolved.is_some_and(|r| KNOWN_ROOTS.contains(&r)) {
                continue;
            }
            unknown = true;
        }
    }
    if unknown { Override::Unknown } else { Override::No }
}

/// Whether a method named `name` of the class overrides a method or attribute of a base
/// class, following its method resolution order through the workspace index (bases in other
/// files, framework classes and their API).
pub fn override_status(classes: &FileClasses, class: &Class, name: &str) -> Override {
    let mro = classes.mro(class.id);
    let mut unknown = false;
    for entry in mro.entries.iter().skip(1) {
        match entry {
            MroEntry::Class(info) => {
                if info.methods.contains_key(name) || info.class_attributes.iter().any(|a| a == name)
                {
                    return Override::Yes;
                }
            }
            MroEntry::Framework(framework) => {
                if framework.method(name).is_some() {
                    return Override::Yes;
                }
            }
            MroEntry::Unknown(text) => {
                if !BUILTIN_BASES.contains(&text.as_str()) {
                    unknown = true;
                }
            }
        }
    }
    if mro.entries.is_empty() || unknown {
        Override::Unknown
    } else {
        Override::No
    }
}

/// Whether a method named `name` of `class` overrides a method of a base class of this file.
/// Position-free: usable from function checks.
pub fn overrides_in_file(file: &FileModel, class: Option<&Class>, name: &str) -> bool {
    class.is_some_and(|class| override_in_file(file, class, name) == Override::Yes)
}

/// A name the file chose, in one of the two styles.
struct Candidate<'a> {
    name: &'a str,
    style: NameStyle,
    range: TextRange,
    what: String,
    /// The rename, when it is safe: (new name, occurrences, scope name).
    rename: Option<(&'a str, &'a [TextRange], &'a str)>,
}

fn check(ctx: &FileContext, out: &mut Vec<Diagnostic>) {
    let keywords: HashSet<&str> = ctx
        .functions
        .iter()
        .flat_map(|f| f.keyword_arguments.iter().map(String::as_str))
        .collect();
    let classes = FileClasses::new(ctx.workspace, ctx.file, ctx.functions);
    let api_names: HashSet<&str> = ctx
        .functions
        .iter()
        .flat_map(|f| f.camel_api_names.iter().map(String::as_str))
        .collect();
    // Classes that are test classes, as the file shows them or through their bases.
    let test_like: Vec<bool> = ctx
        .file
        .classes
        .iter()
        .map(|class| {
            class.kind != ClassKind::Other
                || classes.mro(class.id).entries.iter().any(
                    |e| matches!(e, MroEntry::Framework(framework) if framework.test_case),
                )
        })
        .collect();
    let mirrors_camel_api = fakes_camel_api(ctx.file, &test_like);
    let mut candidates: Vec<Candidate> = Vec::new();
    for function in ctx.functions {
        let signature_free = collect_function_name(
            ctx,
            &classes,
            &test_like,
            mirrors_camel_api,
            function,
            &mut candidates,
        );
        for binding in &function.bindings {
            let Some(style) = NameStyle::of(&binding.name) else {
                continue;
            };
            if api_names.contains(binding.name.as_str()) {
                // Named after the API the code talks to (`sourceName = kwargs['sourceName']`).
                continue;
            }
            let (what, fix_allowed) = match binding.role {
                NameRole::Receiver => continue,
                NameRole::Parameter => {
                    if !signature_free {
                        continue;
                    }
                    (
                        format!("parameter of `{}`", function.name),
                        parameter_rename_allowed(function, &binding.name, &keywords),
                    )
                }
                NameRole::Local => (format!("local variable of `{}`", function.name), true),
                NameRole::Function => {
                    if exemption_reason(&binding.name).is_some() {
                        continue;
                    }
                    (format!("function nested in `{}`", function.name), true)
                }
            };
            let rename = binding
                .renamed
                .as_deref()
                .filter(|_| fix_allowed)
                .map(|new| (new, binding.occurrences.as_slice(), function.name.as_str()));
            candidates.push(Candidate {
                name: &binding.name,
                style,
                range: binding.range,
                what,
                rename,
            });
        }
    }
    let snake = candidates
        .iter()
        .filter(|c| c.style == NameStyle::Snake)
        .count();
    let camel = candidates.len() - snake;
    let dominant = match snake.cmp(&camel) {
        std::cmp::Ordering::Greater => NameStyle::Snake,
        std::cmp::Ordering::Less => NameStyle::Camel,
        std::cmp::Ordering::Equal => return,
    };
    let majority = snake.max(camel);
    let total = candidates.len();
    for candidate in candidates {
        if candidate.style == dominant {
            continue;
        }
        let mut message = format!(
            "`{}` ({}) is {}, but this file names functions and variables in {} ({majority} of {total} names)",
            candidate.name,
            candidate.what,
            candidate.style.as_str(),
            dominant.as_str(),
        );
        let fix = candidate.rename.map(|(new, occurrences, scope)| {
            message.push_str(&format!("; rename it `{new}`"));
            Fix::safe(
                format!("Rename `{}` to `{new}` in `{scope}`", candidate.name),
                occurrences
                    .iter()
                    .map(|range| Edit::replace(*range, new))
                    .collect(),
            )
        });
        out.push(
            Diagnostic::new(RuleId::InconsistentNaming, candidate.range, message)
                .with_optional_fix(fix),
        );
    }
}

/// Adds the function's own name as a candidate when the file chose it; returns whether its
/// parameters are the file's choice too (not mandated by a base class or a faked interface).
fn collect_function_name<'a>(
    ctx: &FileContext,
    classes: &FileClasses,
    test_like: &[bool],
    mirrors_camel_api: bool,
    function: &'a FunctionSummary,
    candidates: &mut Vec<Candidate<'a>>,
) -> bool {
    let name = function.name.as_str();
    let style = NameStyle::of(name);
    if exemption_reason(name).is_some() {
        return false;
    }
    if mirrors_camel_api
        && style == Some(NameStyle::Camel)
        && function.kind == FunctionKind::Helper
        && function.class.is_none()
        && function.parent.is_none()
    {
        // A module function of a fake module (`openAuth` of a fake libvirt).
        return false;
    }
    if function.local_method {
        // A method of a class defined in a test: a stand-in for some real object.
        return style != Some(NameStyle::Camel);
    }
    match function.kind {
        FunctionKind::Test(TestStyle::Pytest) | FunctionKind::Fixture => {
            // Parameters are fixture names, chosen where the fixtures are defined.
            if function.kind == FunctionKind::Fixture
                && let Some(style) = style
            {
                candidates.push(Candidate {
                    name,
                    style,
                    range: function.name_range,
                    what: "fixture".to_string(),
                    rename: None,
                });
            }
            return false;
        }
        FunctionKind::Special | FunctionKind::Setup(_) => return false,
        // Test names follow the runner's `test` prefix; TQ202 compares them.
        FunctionKind::Test(TestStyle::Unittest) | FunctionKind::Nested => return true,
        FunctionKind::Helper => {
            if function.class.is_some() && ctx.settings.is_test_function_name(name) {
                // A test of a class whose test-case base is in another file: TQ202's concern.
                return true;
            }
        }
    }
    let what = match ctx.file.class(function.class) {
        Some(class) => {
            let is_test_like = test_like.get(class.id).copied().unwrap_or(false);
            if !is_test_like && style == Some(NameStyle::Camel) {
                // A fake mirroring a camelCase API (`Domain.createWithFlags`).
                return false;
            }
            if override_status(classes, class, name) != Override::No {
                return false;
            }
            format!("method of `{}`", class.name)
        }
        None => "function".to_string(),
    };
    if let Some(style) = style {
        candidates.push(Candidate {
            name,
            style,
            range: function.name_range,
            what,
            rename: None,
        });
    }
    true
}

/// Whether the file fakes a camelCase API: one of its classes that is not a test class has a
/// camelCase method of its own (a fake libvirt `Domain.createWithFlags`). Module functions in
/// camelCase then mirror the same API (`openAuth`).
fn fakes_camel_api(file: &FileModel, test_like: &[bool]) -> bool {
    file.classes.iter().any(|class| {
        !test_like.get(class.id).copied().unwrap_or(false)
            && class.method_names.iter().any(|m| {
                NameStyle::of(m) == Some(NameStyle::Camel) && exemption_reason(m).is_none()
            })
    })
}

/// Decorators that pass their arguments positionally and leave the signature alone.
fn keeps_signature(decorator: &str) -> bool {
    decorator.starts_with("unittest.mock.patch")
}

/// Whether renaming a parameter keeps every caller working.
fn parameter_rename_allowed(
    function: &FunctionSummary,
    name: &str,
    keywords: &HashSet<&str>,
) -> bool {
    let callers_known = match function.kind {
        FunctionKind::Test(TestStyle::Unittest) | FunctionKind::Nested => true,
        FunctionKind::Helper => function.name.starts_with('_') && !function.name.starts_with("__"),
        _ => false,
    };
    callers_known
        && !keywords.contains(name)
        && function.decorators.iter().all(|d| keeps_signature(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(source: &str) -> Vec<(String, Option<String>)> {
        let mut settings = crate::Settings::default();
        settings.rules = std::iter::once(RuleId::InconsistentNaming).collect();
        let output =
            crate::check_source(source, None, &settings, &crate::Workspace::empty());
        output
            .diagnostics
            .into_iter()
            .map(|d| {
                let name = source[d.range.as_range()].to_string();
                (name, d.fix.map(|f| f.message))
            })
            .collect()
    }

    #[test]
    fn camel_case_files_flag_snake_case_names() {
        let source = "\
import unittest


class LegacyTest(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.serverName = 'a'

    def testRebootServer(self):
        serverName = self.createServer()
        hostName = 'h'
        imageRef = 'i'
        flavor_ref = 'f'
        self.assertEqual(serverName, hostName + imageRef + flavor_ref)

    def testResize(self):
        newFlavor = 'x'
        self.assertTrue(newFlavor)


def createServer(serverName, imageRef):
    return serverName + imageRef
";
        assert_eq!(
            findings(source),
            vec![(
                "flavor_ref".to_string(),
                Some("Rename `flavor_ref` to `flavorRef` in `testRebootServer`".to_string())
            )]
        );
    }

    #[test]
    fn module_functions_are_flagged_unless_the_file_fakes_a_camel_case_api() {
        let plain = "\
def create_server(server_name, flavor_ref):
    image_ref = server_name
    return image_ref, flavor_ref


def makeServer(server_name):
    return server_name
";
        assert_eq!(findings(plain), vec![("makeServer".to_string(), None)]);
        let fake = format!("{plain}\n\nclass Connection(object):\n    def getInfo(self):\n        return 1\n");
        assert!(findings(&fake).is_empty());
    }

    #[test]
    fn tied_files_are_not_checked() {
        let source = "def f():\n    fooBar = 1\n    foo_baz = 2\n    return fooBar, foo_baz\n";
        assert!(findings(source).is_empty());
    }

    #[test]
    fn framework_names_are_never_flagged() {
        let source = "\
import unittest


class T(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.useFixture(object())
        self.addCleanup(print)

    def assertServerState(self, server_dict, expected_state):
        self.assertEqual(server_dict, expected_state)

    def shortDescription(self):
        return None

    def test_one(self):
        some_value = 1
        other_value = 2
        self.assertEqual(some_value, other_value)


def setUpModule():
    pass
";
        assert!(findings(source).is_empty(), "{:?}", findings(source));
    }

    #[test]
    fn mandated_names_have_reasons() {
        for name in [
            "setUp",
            "tearDown",
            "setUpClass",
            "tearDownClass",
            "setUpModule",
            "tearDownModule",
            "asyncSetUp",
            "asyncTearDown",
            "setUpTestData",
            "addCleanup",
            "useFixture",
            "assertEqual",
            "assertServerActive",
            "_assertXmlEqual",
            "failUnlessEqual",
            "maxDiff",
            "longMessage",
            "failureException",
            "runTest",
            "id",
            "shortDescription",
            "_setUp",
        ] {
            assert!(exemption_reason(name).is_some(), "{name}");
        }
        for name in ["createServer", "assert_called", "failed", "assertion", "set_up"] {
            assert!(exemption_reason(name).is_none(), "{name}");
        }
    }
}
