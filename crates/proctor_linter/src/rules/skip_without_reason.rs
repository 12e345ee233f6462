use tree_sitter::Node;

use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::model::{FileModel, call_arguments, dotted_name, keyword_argument};
use crate::registry::RuleId;
use crate::rule::{Category, FunctionContext, ModuleContext, Rule, Severity};
use crate::summary::is_self;
use crate::syntax::{Field, Kind, field, kind};
use crate::text::TextRange;
use crate::Applicability;

pub const RULE: Rule = Rule {
    id: RuleId::SkipWithoutReason,
    code: "TQ605",
    name: "skip-without-reason",
    category: Category::Structure,
    default_enabled: true,
    severity: Severity::Warning,
    fix: Some(Applicability::Safe),
    summary: "a skip or expected failure (`@unittest.skip`, `@pytest.mark.skip`, `xfail`, `self.skipTest()`…) without a reason",
    doc: r#"
### What it flags
A test skipped, or marked as expected to fail, without saying why:

- `@unittest.skip` / `@unittest.skip()` / `@unittest.skip("")` (and testtools' `skip`);
- `@unittest.skipIf(condition)` / `@unittest.skipUnless(condition)` with no reason (and
  testtools' `skipIf` / `skipUnless`);
- `@pytest.mark.skip` / `@pytest.mark.skip()`;
- `@pytest.mark.skipif(condition)` and `@pytest.mark.xfail` / `@pytest.mark.xfail(condition)`
  without `reason=`;
- `self.skipTest()` / `self.skipTest("")`.

On test functions and methods, on test classes, and in `pytestmark`. An empty (or blank)
string, or `None`, is no reason.

### Why it matters
The runner prints the reason next to every skipped test. Without one, nobody can tell whether
the skip is still needed, which bug it waits for, or whether the test was simply switched off and
forgotten; skipped tests without reasons tend to stay skipped forever.

### Example
```python
@unittest.skip("")
def test_live_migration_with_numa(self):
    ...
```

### Use instead
```python
@unittest.skip("bug 1855332: NUMA live migration races the periodic task")
def test_live_migration_with_numa(self):
    ...
```

### Fix
Safe: inserts a placeholder reason, `"TODO: say why this is skipped"` (for `xfail`,
`"TODO: say why this is expected to fail"`), or replaces an empty one (keeping its quotes);
replace it with the real reason. The reason goes where each API takes it: the first argument of `unittest.skip` and
`self.skipTest`, `reason=` otherwise.

### Known limits
- A reason computed at run time (a variable, a call) is taken as given.
- A `pytest.mark.skipif` / `xfail` whose condition is a string has a reason already: pytest
  reports the condition.
- `pytest.skip()` and `pytest.xfail()` called inside a test are not checked.
"#,
    function_check: Some(check_function),
    module_check: Some(check_module),
    file_check: None,
};

const SKIP_PLACEHOLDER: &str = "\"TODO: say why this is skipped\"";
const XFAIL_PLACEHOLDER: &str = "\"TODO: say why this is expected to fail\"";

/// The skip APIs, by where they take their reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SkipApi {
    /// `unittest.skip(reason)`, `self.skipTest(reason)`: the first argument.
    ReasonFirst,
    /// `unittest.skipIf(condition, reason)`, `skipUnless`: the second argument.
    ReasonSecond,
    /// `pytest.mark.skip(reason=...)`, positional accepted too.
    PytestSkip,
    /// `pytest.mark.skipif(condition, *, reason=...)`.
    PytestSkipIf,
    /// `pytest.mark.xfail(condition=None, *, reason=...)`.
    PytestXfail,
}

impl SkipApi {
    fn from_path(path: &str) -> Option<SkipApi> {
        Some(match path {
            "unittest.skip" | "unittest.case.skip" | "testtools.skip"
            | "testtools.testcase.skip" => SkipApi::ReasonFirst,
            "unittest.skipIf"
            | "unittest.skipUnless"
            | "unittest.case.skipIf"
            | "unittest.case.skipUnless"
            | "testtools.skipIf"
            | "testtools.skipUnless"
            | "testtools.testcase.skipIf"
            | "testtools.testcase.skipUnless" => SkipApi::ReasonSecond,
            "pytest.mark.skip" => SkipApi::PytestSkip,
            "pytest.mark.skipif" => SkipApi::PytestSkipIf,
            "pytest.mark.xfail" => SkipApi::PytestXfail,
            _ => return None,
        })
    }

    fn placeholder(self) -> &'static str {
        if self == SkipApi::PytestXfail {
            XFAIL_PLACEHOLDER
        } else {
            SKIP_PLACEHOLDER
        }
    }

    /// Whether the reason goes first when the call has no arguments at all.
    fn positional_when_alone(self) -> bool {
        self == SkipApi::ReasonFirst
    }
}

/// A skip that gives no reason, and how to give it one.
struct Finding {
    api: SkipApi,
    /// The skip as written, for the message (`@unittest.skip`, `self.skipTest()`).
    label: String,
    /// `true` when the reason is an empty string rather than missing.
    empty: bool,
    fix: Option<Fix>,
}

fn check_function(ctx: &FunctionContext, out: &mut Vec<Diagnostic>) {
    let function = ctx.function;
    for decorator in &function.decorators {
        let Some(expression) = decorator.named_child(0) else {
            continue;
        };
        if let Some(finding) = examine(ctx.file, expression, |n| ctx.resolve(n)) {
            out.push(report(
                decorator_range(*decorator, expression),
                &finding,
                &format!("`{}`", function.name),
                true,
            ));
        }
    }
    let source = ctx.source();
    for call in function.nodes(Kind::Call) {
        let Some(callee) = field(*call, Field::Function) else {
            continue;
        };
        let is_skip_test = kind(callee) == Kind::Attribute
            && field(callee, Field::Object).is_some_and(|o| is_self(source, o))
            && field(callee, Field::Attribute).and_then(|a| source.get(a.byte_range()))
                == Some("skipTest");
        if !is_skip_test {
            continue;
        }
        if let Some(finding) = examine_call(ctx.file, *call, SkipApi::ReasonFirst, "self.skipTest()")
        {
            out.push(report(
                TextRange::of(*call),
                &finding,
                &format!("`{}`", function.name),
                false,
            ));
        }
    }
}

fn check_module(ctx: &ModuleContext, out: &mut Vec<Diagnostic>) {
    let file = ctx.file;
    // Class decorators.
    for class in &file.classes {
        let Some(outer) = node_of_range(file, class.range) else {
            continue;
        };
        if kind(outer) != Kind::DecoratedDefinition {
            continue;
        }
        for decorator in crate::model::decorators_of(outer) {
            let Some(expression) = decorator.named_child(0) else {
                continue;
            };
            if let Some(finding) = examine(file, expression, |n| file.resolve(n)) {
                out.push(report(
                    decorator_range(decorator, expression),
                    &finding,
                    &format!("class `{}`", class.name),
                    true,
                ));
            }
        }
    }
    // `pytestmark = pytest.mark.skip` or a list of marks, at module or class level.
    for statement in &file.module_statements {
        if kind(*statement) != Kind::ExpressionStatement {
            continue;
        }
        let Some(assignment) = statement.named_child(0).filter(|a| kind(*a) == Kind::Assignment)
        else {
            continue;
        };
        let (Some(left), Some(right)) = (
            field(assignment, Field::Left),
            field(assignment, Field::Right),
        ) else {
            continue;
        };
        if file.text(left) != "pytestmark" {
            continue;
        }
        let marks: Vec<Node> = if matches!(kind(right), Kind::List | Kind::Tuple) {
            crate::syntax::named_children(right).collect()
        } else {
            vec![right]
        };
        for mark in marks {
            if let Some(finding) = examine(file, mark, |n| file.resolve(n)) {
                out.push(report(TextRange::of(mark), &finding, "`pytestmark`", false));
            }
        }
    }
}

fn report(range: TextRange, finding: &Finding, target: &str, decorator: bool) -> Diagnostic {
    let what = if decorator {
        format!("`@{}` on {target}", finding.label)
    } else {
        format!("`{}` in {target}", finding.label)
    };
    let why = if finding.api == SkipApi::PytestXfail {
        "say why it is expected to fail"
    } else {
        "say why it is skipped"
    };
    let gives = if finding.empty {
        "an empty reason"
    } else {
        "no reason"
    };
    Diagnostic::new(
        RuleId::SkipWithoutReason,
        range,
        format!("{what} gives {gives}: {why}"),
    )
    .with_optional_fix(finding.fix.clone())
}

/// From the `@` to the end of the decorator's expression (the node itself runs on over a
/// trailing comment).
fn decorator_range(decorator: Node, expression: Node) -> TextRange {
    TextRange::new(decorator.start_byte(), expression.end_byte())
}

/// A decorator expression or mark: `unittest.skip`, `pytest.mark.skipif(cond)`…
fn examine<'t>(
    file: &FileModel<'t>,
    expression: Node<'t>,
    resolve: impl Fn(Node<'t>) -> Option<String>,
) -> Option<Finding> {
    let (target, call) = if kind(expression) == Kind::Call {
        (field(expression, Field::Function)?, Some(expression))
    } else {
        (expression, None)
    };
    let api = SkipApi::from_path(&resolve(target)?)?;
    let label = dotted_name(file.source, target)?;
    match call {
        Some(call) => examine_call(file, call, api, &label),
        None => {
            // A bare `@unittest.skip` / `@pytest.mark.skip`: call it with a reason. A bare
            // `skipIf` has no condition either, so only the author can repair it.
            let fix = (api != SkipApi::ReasonSecond).then(|| {
                let argument = if api.positional_when_alone() {
                    api.placeholder().to_string()
                } else {
                    format!("reason={}", api.placeholder())
                };
                Fix::safe(
                    "Add a reason",
                    vec![Edit::insert(expression.end_byte(), format!("({argument})"))],
                )
            });
            Some(Finding {
                api,
                label,
                empty: false,
                fix,
            })
        }
    }
}

/// A call of a skip API: does it give a reason?
fn examine_call(file: &FileModel, call: Node, api: SkipApi, label: &str) -> Option<Finding> {
    let source = file.source;
    let arguments = call_arguments(call);
    if arguments
        .iter()
        .any(|a| matches!(kind(*a), Kind::ListSplat | Kind::DictionarySplat))
    {
        return None;
    }
    let positional = crate::model::positional_arguments(call);
    let reason = keyword_argument(source, call, "reason").or_else(|| match api {
        SkipApi::ReasonFirst | SkipApi::PytestSkip => positional.first().copied(),
        SkipApi::ReasonSecond => positional.get(1).copied(),
        SkipApi::PytestSkipIf | SkipApi::PytestXfail => None,
    });
    if reason.is_none()
        && matches!(api, SkipApi::PytestSkipIf | SkipApi::PytestXfail)
        && positional.iter().any(|c| is_string(*c))
    {
        // `skipif("sys.platform == 'win32'")`: pytest reports the condition as the reason.
        return None;
    }
    let label = label.to_string();
    match reason {
        Some(reason) => {
            let empty = if kind(reason) == Kind::None {
                false
            } else if is_blank_string(source, reason) {
                true
            } else {
                return None;
            };
            Some(Finding {
                api,
                label,
                empty,
                fix: Some(Fix::safe(
                    "Add a reason",
                    vec![Edit::replace(
                        TextRange::of(reason),
                        in_quotes_of(source, reason, api.placeholder()),
                    )],
                )),
            })
        }
        None => {
            let list = field(call, Field::Arguments)?;
            let edit = match arguments.last() {
                Some(last) => Edit::insert(
                    last.end_byte(),
                    format!(", reason={}", api.placeholder()),
                ),
                None => {
                    let argument = if api.positional_when_alone() {
                        api.placeholder().to_string()
                    } else {
                        format!("reason={}", api.placeholder())
                    };
                    Edit::insert(list.start_byte() + 1, argument)
                }
            };
            // `skipIf()` without its condition cannot be repaired by adding a reason.
            let fix = !(api == SkipApi::ReasonSecond && positional.is_empty()
                && keyword_argument(source, call, "condition").is_none());
            Some(Finding {
                api,
                label,
                empty: false,
                fix: fix.then(|| Fix::safe("Add a reason", vec![edit])),
            })
        }
    }
}

/// The placeholder in the quotes of the string it replaces (`''` becomes `'TODO: ...'`).
fn in_quotes_of(source: &str, replaced: Node, placeholder: &str) -> String {
    let single = kind(replaced) == Kind::String
        && source
            .get(replaced.byte_range())
            .is_some_and(|t| t.trim_start_matches(char::is_alphabetic).starts_with('\''));
    if single {
        format!("'{}'", placeholder.trim_matches('"'))
    } else {
        placeholder.to_string()
    }
}

fn is_string(node: Node) -> bool {
    matches!(kind(node), Kind::String | Kind::ConcatenatedString)
}

/// A string literal with nothing but whitespace in it (`""`, `' '`, `"" ""`).
fn is_blank_string(source: &str, node: Node) -> bool {
    let parts: Vec<Node> = match kind(node) {
        Kind::String => vec![node],
        Kind::ConcatenatedString => crate::syntax::named_children(node).collect(),
        _ => return false,
    };
    parts.iter().all(|part| {
        kind(*part) == Kind::String
            && crate::syntax::named_children(*part).all(|child| match kind(child) {
                Kind::StringStart | Kind::StringEnd => true,
                Kind::StringContent => source
                    .get(child.byte_range())
                    .is_some_and(|t| t.trim().is_empty() && !t.contains('\\')),
                _ => false,
            })
    })
}

/// The node that spans exactly `range` (the outermost one of that span).
fn node_of_range<'t>(file: &FileModel<'t>, range: TextRange) -> Option<Node<'t>> {
    let mut node = file
        .tree
        .root_node()
        .descendant_for_byte_range(range.start, range.end)?;
    while kind(node) != Kind::DecoratedDefinition {
        let parent = node.parent()?;
        if parent.start_byte() != range.start || parent.end_byte() != range.end {
            break;
        }
        node = parent;
    }
    (node.start_byte() == range.start && node.end_byte() == range.end).then_some(node)
}
