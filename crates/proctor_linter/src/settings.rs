//! Resolved settings: which rules run, thresholds, and what counts as a test file.
//!
//! [`crate::config`] turns configuration files into these; editors and the command line layer
//! their overrides on top with [`Settings::apply`].

use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};

use crate::registry::{RuleId, RuleSet};

/// Thresholds of the rules that count things. The config key is given beside each.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Thresholds {
    /// `max-test-statements` (TQ601).
    pub max_test_statements: usize,
    /// `max-comment-block-lines` (TQ106).
    pub max_comment_block_lines: usize,
    /// `max-unlabelled-assertions` (TQ502).
    pub max_unlabelled_assertions: usize,
    /// `max-test-locals` (TQ608).
    pub max_test_locals: usize,
    /// `max-act-assert-cycles` (TQ602).
    pub max_act_assert_cycles: usize,
    /// `wait-timeout`, seconds (TQ303's fix).
    pub wait_timeout: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            max_test_statements: 40,
            max_comment_block_lines: 10,
            max_unlabelled_assertions: 5,
            max_test_locals: 10,
            max_act_assert_cycles: 2,
            wait_timeout: 60,
        }
    }
}

/// A `per-file-ignores` entry.
#[derive(Clone, Debug)]
pub struct PerFileIgnore {
    pub pattern: String,
    pub matcher: GlobMatcher,
    pub rules: RuleSet,
}

/// Everything a check needs to know besides the source text.
#[derive(Clone, Debug)]
pub struct Settings {
    pub rules: RuleSet,
    pub per_file_ignores: Vec<PerFileIgnore>,
    /// Glob patterns (matched on the file name, or on the path relative to the project root
    /// when they contain a `/`) of the files Proctor checks.
    pub test_file_patterns: Vec<String>,
    test_file_matchers: Vec<(bool, GlobMatcher)>,
    /// Name patterns of calls that count as assertions (TQ501), e.g. `assert*`.
    pub assertion_helpers: Vec<String>,
    /// Fixtures provided by plugins (TQ705).
    pub known_fixtures: Vec<String>,
    pub thresholds: Thresholds,
    /// The directory relative patterns are resolved against (the config file's directory).
    pub root: Option<PathBuf>,
}

pub const DEFAULT_TEST_FILE_PATTERNS: &[&str] = &[
    "test_*.py",
    "*_test.py",
    "conftest.py",
    "**/tests/**/*.py",
    "tests/**/*.py",
];

pub const DEFAULT_ASSERTION_HELPERS: &[&str] = &[
    "assert*",
    "_assert*",
    "check*",
    "_check*",
    "verify*",
    "_verify*",
    "expect*",
    "_expect*",
    "_wait_for*",
];

pub const DEFAULT_KNOWN_FIXTURES: &[&str] = &[
    // pytest-mock
    "mocker",
    "class_mocker",
    "module_mocker",
    "package_mocker",
    "session_mocker",
    // pytest-asyncio
    "event_loop",
    "event_loop_policy",
    "unused_tcp_port",
    "unused_tcp_port_factory",
    "unused_udp_port",
    "unused_udp_port_factory",
    // pytest-django
    "db",
    "transactional_db",
    "django_db_setup",
    "django_db_blocker",
    "client",
    "admin_client",
    "admin_user",
    "django_user_model",
    "django_username_field",
    "rf",
    "async_rf",
    "settings",
    "live_server",
    "django_assert_num_queries",
    "django_assert_max_num_queries",
    "django_capture_on_commit_callbacks",
    "mailoutbox",
    // anyio (its plugin comes with the package), Faker, pytest-cov
    "anyio_backend",
    "anyio_backend_name",
    "anyio_backend_options",
    "faker",
    "cov",
    "no_cover",
    // pytest-lsp, pytest-benchmark, pytest-httpx, pytest-xdist
    "benchmark",
    "httpx_mock",
    "worker_id",
    "testrun_uid",
];

impl Default for Settings {
    fn default() -> Self {
        let mut settings = Self {
            rules: RuleSet::defaults(),
            per_file_ignores: Vec::new(),
            test_file_patterns: Vec::new(),
            test_file_matchers: Vec::new(),
            assertion_helpers: DEFAULT_ASSERTION_HELPERS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            known_fixtures: DEFAULT_KNOWN_FIXTURES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            thresholds: Thresholds::default(),
            root: None,
        };
        settings
            .set_test_file_patterns(DEFAULT_TEST_FILE_PATTERNS.iter().map(|s| s.to_string()))
            .expect("the default patterns are valid globs");
        settings
    }
}

/// Rule selection as written in a config file, on the command line or in editor settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub select: Option<Vec<String>>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
}

impl Settings {
    /// Replaces the test-file patterns.
    pub fn set_test_file_patterns(
        &mut self,
        patterns: impl IntoIterator<Item = String>,
    ) -> Result<(), globset::Error> {
        let patterns: Vec<String> = patterns.into_iter().collect();
        let matchers = patterns
            .iter()
            .map(|p| Ok((p.contains('/'), Glob::new(p)?.compile_matcher())))
            .collect::<Result<Vec<_>, globset::Error>>()?;
        self.test_file_patterns = patterns;
        self.test_file_matchers = matchers;
        Ok(())
    }

    /// Applies a rule selection on top of the current one: `select` replaces the set,
    /// `extend-select` adds, `ignore` removes. Unknown selectors are returned as errors.
    pub fn apply(&mut self, selection: &Selection) -> Result<(), String> {
        if let Some(select) = &selection.select {
            self.rules = RuleSet::empty();
            for selector in select {
                self.rules.extend(RuleSet::parse_selector(selector)?);
            }
        }
        for selector in &selection.extend_select {
            self.rules.extend(RuleSet::parse_selector(selector)?);
        }
        for selector in &selection.ignore {
            self.rules.remove_all(RuleSet::parse_selector(selector)?);
        }
        Ok(())
    }

    /// Whether `path` is a test file: its name, or its path relative to the settings' root,
    /// matches one of the test-file patterns.
    pub fn is_test_file(&self, path: &Path) -> bool {
        let Some(name) = path.file_name() else {
            return false;
        };
        let relative = self
            .root
            .as_deref()
            .and_then(|root| path.strip_prefix(root).ok())
            .unwrap_or(path);
        self.test_file_matchers.iter().any(|(has_slash, matcher)| {
            if *has_slash {
                matcher.is_match(relative) || matcher.is_match(path)
            } else {
                matcher.is_match(name)
            }
        })
    }

    /// The rules enabled for `path`, after `per-file-ignores`.
    pub fn rules_for(&self, path: Option<&Path>) -> RuleSet {
        let mut rules = self.rules;
        if let Some(path) = path {
            let relative = self
                .root
                .as_deref()
                .and_then(|root| path.strip_prefix(root).ok())
                .unwrap_or(path);
            for entry in &self.per_file_ignores {
                let by_name = !entry.pattern.contains('/')
                    && path.file_name().is_some_and(|n| entry.matcher.is_match(n));
                if by_name || entry.matcher.is_match(relative) {
                    rules.remove_all(entry.rules);
                }
            }
        }
        rules
    }

    /// A hash of everything that can change findings, for caches.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        self.rules.hash(&mut hasher);
        for entry in &self.per_file_ignores {
            entry.pattern.hash(&mut hasher);
            entry.rules.hash(&mut hasher);
        }
        self.test_file_patterns.hash(&mut hasher);
        self.assertion_helpers.hash(&mut hasher);
        self.known_fixtures.hash(&mut hasher);
        self.thresholds.hash(&mut hasher);
        self.root.hash(&mut hasher);
        hasher.finish()
    }

    pub fn is_enabled(&self, rule: RuleId) -> bool {
        self.rules.contains(rule)
    }

    /// Whether a function name is collected as a test.
    pub fn is_test_function_name(&self, name: &str) -> bool {
        name.starts_with("test")
    }

    /// Whether a called name matches one of the assertion-helper patterns.
    pub fn is_assertion_helper(&self, name: &str) -> bool {
        self.assertion_helpers
            .iter()
            .any(|pattern| wildcard_match(pattern, name))
    }
}

/// `*` matches any run of characters, `?` any one; everything else matches itself.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_test_file_patterns() {
        let settings = Settings::default();
        for yes in [
            "test_x.py",
            "a/b/x_test.py",
            "conftest.py",
            "pkg/tests/unit/helpers.py",
            "tests/fakes.py",
        ] {
            assert!(settings.is_test_file(Path::new(yes)), "{yes}");
        }
        for no in ["x.py", "pkg/testing.py", "test_x.txt", "src/contest.py"] {
            assert!(!settings.is_test_file(Path::new(no)), "{no}");
        }
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("assert*", "assertEqual"));
        assert!(wildcard_match("_wait_for*", "_wait_for_state"));
        assert!(!wildcard_match("check*", "_check_it"));
        assert!(wildcard_match("*x?z", "abxyz"));
    }
}
