//! The command line, end to end: exit codes, formats, errors, fixes, walking.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

struct Project {
    dir: PathBuf,
}

impl Project {
    fn new(name: &str) -> Project {
        let dir = std::env::temp_dir().join(format!("proctor-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // Only TQ101 runs, so these tests keep their counts as rules are added.
        std::fs::write(dir.join("proctor.toml"), "select = [\"TQ101\"]\n").unwrap();
        Project { dir }
    }

    fn file(&self, path: &str, contents: impl AsRef<[u8]>) -> &Self {
        let path = self.dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_proctor"))
            .args(args)
            .current_dir(&self.dir)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.dir.join(path)).unwrap()
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const UNDOCUMENTED: &str = "import unittest\n\n\nclass T(unittest.TestCase):\n    def test_it_works(self):\n        self.assertTrue(1)\n";
const CLEAN: &str = "def helper():\n    return 1\n";

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json(output: &Output) -> Vec<Value> {
    serde_json::from_slice::<Value>(&output.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn exit_codes_follow_findings() {
    let project = Project::new("exit");
    project
        .file("tests/test_a.py", UNDOCUMENTED)
        .file("tests/test_clean.py", CLEAN);
    assert_eq!(
        project
            .run(&["check", "--no-cache", "tests/test_clean.py"])
            .status
            .code(),
        Some(0)
    );
    let found = project.run(&["check", "--no-cache", "."]);
    assert_eq!(found.status.code(), Some(1), "{}", stderr(&found));
    assert!(
        stdout(&found).contains("tests/test_a.py:5:9"),
        "{}",
        stdout(&found)
    );
    assert!(stdout(&found).contains("TQ101"));
    assert_eq!(
        project
            .run(&["check", "--no-cache", "--exit-zero", "."])
            .status
            .code(),
        Some(0)
    );
    let usage = project.run(&["check", "--select", "TQ999", "."]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(stderr(&usage).contains("unknown rule selector `TQ999`"));
}

#[test]
fn json_output_has_the_documented_shape() {
    let project = Project::new("json");
    project.file("test_a.py", UNDOCUMENTED);
    let output = project.run(&[
        "check",
        "--no-cache",
        "--output-format",
        "json",
        "test_a.py",
    ]);
    let items = json(&output);
    assert_eq!(items.len(), 1);
    let item = &items[0];
    let keys: Vec<&str> = item
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "code",
            "name",
            "category",
            "severity",
            "path",
            "line",
            "column",
            "end_line",
            "end_column",
            "message",
            "fix"
        ]
    );
    assert_eq!(item["code"], "TQ101");
    assert_eq!(item["name"], "missing-test-docstring");
    assert_eq!(item["category"], "docs");
    assert_eq!(item["severity"], "info");
    assert_eq!(item["path"], "test_a.py");
    assert_eq!(
        (item["line"].as_u64(), item["column"].as_u64()),
        (Some(5), Some(9))
    );
    assert_eq!(
        (item["end_line"].as_u64(), item["end_column"].as_u64()),
        (Some(5), Some(22))
    );
    assert_eq!(item["fix"]["applicability"], "safe");
    assert_eq!(item["fix"]["edits"][0]["line"], 6);
    assert_eq!(
        item["fix"]["edits"][0]["content"],
        "        \"\"\"It works.\"\"\"\n"
    );
}

#[test]
fn columns_count_code_points() {
    let project = Project::new("unicode");
    project.file("test_u.py", "def test_café_crème():\n    assert 1\n");
    let items = json(&project.run(&[
        "check",
        "--no-cache",
        "--output-format",
        "json",
        "test_u.py",
    ]));
    assert_eq!(items[0]["column"], 5);
    assert_eq!(
        items[0]["end_column"],
        5 + "test_café_crème".chars().count() as u64
    );
}

#[test]
fn unreadable_and_non_utf8_files_are_reported_and_the_run_goes_on() {
    let project = Project::new("errors");
    project
        .file("test_good.py", UNDOCUMENTED)
        .file("test_latin1.py", b"def test_x():\n    s = '\xe9'\n");
    let output = project.run(&[
        "check",
        "--no-cache",
        "--output-format",
        "json",
        ".",
        "missing_dir",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("error: test_latin1.py: not valid UTF-8"),
        "{err}"
    );
    assert!(
        err.contains("error: missing_dir: no such file or directory"),
        "{err}"
    );
    assert_eq!(json(&output).len(), 1, "the good file is still checked");
}

#[test]
fn bad_configuration_is_a_clear_error() {
    let project = Project::new("config");
    std::fs::remove_file(project.dir.join("proctor.toml")).unwrap();
    project
        .file("pyproject.toml", "[tool.proctor]\nselect = \"TQ101\"\n")
        .file("test_a.py", UNDOCUMENTED);
    let output = project.run(&["check", "--no-cache", "."]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("pyproject.toml: `select`: expected a list of strings, found string"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn configuration_and_noqa_are_honoured() {
    let project = Project::new("noqa");
    project
        .file(
            "proctor.toml",
            "select = [\"TQ101\"]\nignore = [\"docs\"]\n",
        )
        .file("test_a.py", UNDOCUMENTED);
    assert_eq!(
        project.run(&["check", "--no-cache", "."]).status.code(),
        Some(0)
    );
    let project = Project::new("noqa2");
    project.file(
        "test_a.py",
        UNDOCUMENTED.replace("(self):", "(self):  # noqa: missing-test-docstring"),
    );
    assert_eq!(
        project.run(&["check", "--no-cache", "."]).status.code(),
        Some(0)
    );
    let overridden = project.run(&["check", "--no-cache", "--select", "TQ101", "."]);
    assert_eq!(overridden.status.code(), Some(0), "noqa wins over --select");
}

#[test]
fn fix_writes_and_diff_only_prints() {
    let project = Project::new("fix");
    project.file("test_a.py", UNDOCUMENTED);
    let diff = project.run(&["check", "--no-cache", "--diff", "test_a.py"]);
    assert_eq!(diff.status.code(), Some(1));
    assert!(
        stdout(&diff).contains("+        \"\"\"It works.\"\"\""),
        "{}",
        stdout(&diff)
    );
    assert_eq!(
        project.read("test_a.py"),
        UNDOCUMENTED,
        "--diff does not write"
    );
    let fixed = project.run(&["check", "--no-cache", "--fix", "test_a.py"]);
    assert_eq!(fixed.status.code(), Some(0), "{}", stderr(&fixed));
    assert!(project.read("test_a.py").contains("\"\"\"It works.\"\"\""));
    assert!(stderr(&fixed).contains("Fixed 1 finding"));
    let again = project.run(&["check", "--no-cache", "--fix", "test_a.py"]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        project.read("test_a.py").matches("It works").count(),
        1,
        "fixing twice changes nothing"
    );
}

#[test]
fn walking_honours_gitignore_and_test_file_patterns() {
    let project = Project::new("walk");
    project
        .file(".gitignore", "generated/\n")
        .file("generated/test_gen.py", UNDOCUMENTED)
        .file("src/app.py", UNDOCUMENTED)
        .file("src/test_app.py", UNDOCUMENTED)
        .file("pkg/tests/helpers.py", UNDOCUMENTED)
        .file(".venv/lib/test_x.py", UNDOCUMENTED);
    let items = json(&project.run(&["check", "--no-cache", "--output-format", "json"]));
    let mut paths: Vec<&str> = items.iter().map(|i| i["path"].as_str().unwrap()).collect();
    paths.sort();
    assert_eq!(paths, ["pkg/tests/helpers.py", "src/test_app.py"]);
    // A file named explicitly is checked even if it does not look like a test file.
    let explicit = json(&project.run(&[
        "check",
        "--no-cache",
        "--output-format",
        "json",
        "src/app.py",
    ]));
    assert_eq!(explicit.len(), 1);
}

#[test]
fn the_cache_is_used_and_invalidated() {
    let project = Project::new("cache");
    project.file("test_a.py", UNDOCUMENTED);
    assert_eq!(
        json(&project.run(&["check", "--output-format", "json", "."])).len(),
        1
    );
    assert!(project.dir.join(".proctor_cache").is_dir());
    assert_eq!(
        json(&project.run(&["check", "--output-format", "json", "."])).len(),
        1
    );
    project.file(
        "test_a.py",
        UNDOCUMENTED.replace(
            "self.assertTrue(1)",
            "\"\"\"Doc.\"\"\"\n        self.assertTrue(1)",
        ),
    );
    assert_eq!(
        json(&project.run(&["check", "--output-format", "json", "."])).len(),
        0,
        "an edited file is re-checked"
    );
    assert_eq!(
        project
            .run(&["check", "--ignore", "TQ101", "--output-format", "json", "."])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn sarif_github_and_statistics() {
    let project = Project::new("formats");
    project.file("test_a.py", UNDOCUMENTED);
    let sarif: Value = serde_json::from_slice(
        &project
            .run(&["check", "--no-cache", "--output-format", "sarif", "."])
            .stdout,
    )
    .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "TQ101");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        5
    );
    assert_eq!(sarif["runs"][0]["tool"]["driver"]["name"], "proctor");
    let github = stdout(&project.run(&["check", "--no-cache", "--output-format", "github", "."]));
    assert!(
        github
            .starts_with("::notice title=TQ101 missing-test-docstring,file=test_a.py,line=5,col=9"),
        "{github}"
    );
    let statistics = stdout(&project.run(&["check", "--no-cache", "--statistics", "."]));
    assert_eq!(statistics.trim(), "1  TQ101  [*] missing-test-docstring");
}

#[test]
fn rule_documentation() {
    let project = Project::new("rule");
    let by_code = project.run(&["rule", "TQ101"]);
    assert_eq!(by_code.status.code(), Some(0));
    assert!(stdout(&by_code).starts_with("# TQ101 missing-test-docstring"));
    assert!(stdout(&by_code).contains("### Why it matters"));
    assert_eq!(
        stdout(&project.run(&["rule", "missing-test-docstring"])),
        stdout(&by_code)
    );
    let unknown = project.run(&["rule", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("unknown rule `nope`"));
    assert!(stdout(&project.run(&["rule", "--all"])).contains("# TQ101"));
}

#[test]
fn review_starts_with_the_security_verdict() {
    let project = Project::new("review");
    project.file("proctor.toml", "select = [\"ALL\"]\n");
    project.file("test_clean.py", "\"\"\"Doc.\"\"\"\n\n\ndef test_it():\n    \"\"\"It works.\"\"\"\n    assert compute() == 3\n");
    project.file(
        "test_unsafe.py",
        "import tempfile\n\n\ndef test_tmp():\n    \"\"\"Temp files.\"\"\"\n    path = tempfile.mktemp()\n    assert path\n",
    );
    let output = project.run(&["review", "test_clean.py", "test_unsafe.py"]);
    let text = stdout(&output);
    let clean = text.split("Review of test_unsafe.py").next().unwrap();
    assert!(clean.contains("Review of test_clean.py\n"), "{text}");
    assert!(
        clean.contains("No security defects are detected in the code."),
        "{text}"
    );
    let unsafe_part = text.split("Review of test_unsafe.py").nth(1).unwrap();
    assert!(!unsafe_part.contains("No security defects"), "{text}");
    assert!(
        unsafe_part.contains("Security: 1 defect to fix before anything else:\n- line 6:"),
        "{text}"
    );
    assert!(unsafe_part.contains("TQ801 insecure-temp-file"), "{text}");
}
