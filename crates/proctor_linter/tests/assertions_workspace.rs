//! TQ501 following helpers inherited from base classes in other files of the workspace.

mod common;

use std::path::Path;

use common::{check_in_package, package};

/// The names of the tests of `file` that TQ501 flags.
fn flagged(root: &Path, file: &str) -> Vec<String> {
    let (source, diagnostics) = check_in_package(root, file, "TQ501");
    diagnostics
        .into_iter()
        .map(|d| source[d.range.as_range()].to_string())
        .collect()
}

const BASE: &str = "\
import unittest

from pkg import fakes


class BaseTest(unittest.TestCase):
    def _create_server(self, name):
        return self.api.post(name)

    def _confirm_active(self, server):
        # Asserts through another helper, two calls away.
        return self._lookup(server)

    def _lookup(self, server):
        found = self.api.get(server)
        assert found
        return found

    def _boot(self, name):
        # A helper that reaches a hook of the test class.
        server = self._create_server(name)
        self._after_boot(server)
        return server

    def _after_boot(self, server):
        pass

    def _template(self, server):
        return self._hook(server)

    def _hook(self, server):
        raise NotImplementedError()

    def _inspect(self):
        return fakes.inspect_test(self)

    def _validate(self, server):
        return self._report(server)

    def _report(self, server):
        self.fail(server)
";

const TESTS: &str = "\
from pkg import base


class ServerTest(base.BaseTest):
    def test_create_only(self):
        self._create_server('a')

    def test_confirmed(self):
        server = self._create_server('a')
        self._confirm_active(server)

    def test_super_chain(self):
        self._validate('a')

    def test_placeholder(self):
        self._template('a')

    def test_escapes(self):
        self._inspect()

    def test_undefined_anywhere(self):
        self._no_such_helper()


class HookedTest(base.BaseTest):
    def _after_boot(self, server):
        self.assertIsNotNone(server)

    def test_boot_reaches_the_override(self):
        self._boot('a')


class QuietHookTest(base.BaseTest):
    def _after_boot(self, server):
        self.server = server

    def test_boot_without_checks(self):
        self._boot('a')
";

#[test]
fn inherited_helpers_in_other_files_are_followed() {
    let root = package(
        "inherited",
        &[
            ("pkg/__init__.py", ""),
            ("pkg/base.py", BASE),
            ("pkg/fakes.py", "def inspect_test(test):\n    return test\n"),
            ("pkg/test_servers.py", TESTS),
        ],
    );
    assert_eq!(
        flagged(&root, "pkg/test_servers.py"),
        vec!["test_create_only", "test_boot_without_checks"],
        "helpers that assert (directly, through other helpers or through an override in the \
         test's class) count; placeholders, `self` handed elsewhere and undefined helpers keep \
         the rule silent"
    );
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn an_inherited_tear_down_that_asserts_counts() {
    let root = package(
        "teardown",
        &[
            ("pkg/__init__.py", ""),
            (
                "pkg/base.py",
                "\
import unittest


class CheckedTest(unittest.TestCase):
    def tearDown(self):
        self.assertEqual([], self.errors)
        super().tearDown()


class PlainTest(unittest.TestCase):
    def tearDown(self):
        self.errors = None
        super().tearDown()
",
            ),
            (
                "pkg/test_teardown.py",
                "\
from pkg import base


class CheckedChild(base.CheckedTest):
    def test_runs(self):
        run()


class PlainChild(base.PlainTest):
    def test_runs_too(self):
        run()


def run():
    return 1
",
            ),
        ],
    );
    assert_eq!(
        flagged(&root, "pkg/test_teardown.py"),
        vec!["test_runs_too"]
    );
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn helpers_of_unresolvable_bases_keep_the_rule_silent() {
    let root = package(
        "unresolvable",
        &[
            ("pkg/__init__.py", ""),
            (
                "pkg/base.py",
                "\
from elsewhere import ThirdPartyTest


class BaseTest(ThirdPartyTest):
    def _create_server(self, name):
        return name.upper()

    def _create_with_api(self, name):
        # `self.api` could be a method of the unknown base.
        return self.api(name)
",
            ),
            (
                "pkg/test_unknown.py",
                "\
from pkg import base
from other import Missing


class ThroughBase(base.BaseTest):
    def test_inherited_from_third_party(self):
        self._create_or_check()


class ThroughMissing(Missing):
    def test_anything(self):
        self._create_server('a')


class KnownHelperUnknownBase(base.BaseTest):
    def test_known_helper(self):
        # The helper is found before the unknown base, and does not assert.
        self._create_server('a')

    def test_helper_reading_self(self):
        self._create_with_api('a')
",
            ),
        ],
    );
    assert_eq!(
        flagged(&root, "pkg/test_unknown.py"),
        vec!["test_known_helper"]
    );
    let _ = std::fs::remove_dir_all(root);
}
