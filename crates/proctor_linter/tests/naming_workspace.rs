//! Naming and typing rules that follow base classes into other files of the workspace.

mod common;

use std::path::Path;

use common::{check_in_package, package};

/// `(code, flagged text)` of the findings of the rules `codes` in `file`.
fn findings(root: &Path, file: &str, codes: &str) -> Vec<(String, String)> {
    let (source, diagnostics) = check_in_package(root, file, codes);
    diagnostics
        .into_iter()
        .map(|d| {
            (
                d.rule.code().to_string(),
                source[d.range.as_range()].to_string(),
            )
        })
        .collect()
}

const BASE: &str = "\
import unittest


class BaseTest(unittest.TestCase):
    def createServer(self, serverName):
        return serverName

    def _wait_for_state(self, server_dict, expected_state):
        return server_dict, expected_state
";

#[test]
fn overrides_of_methods_in_other_files_are_not_flagged() {
    let root = package(
        "overrides",
        &[
            ("pkg/__init__.py", ""),
            ("pkg/base.py", BASE),
            (
                "pkg/test_child.py",
                "\
from pkg import base


class ChildTest(base.BaseTest):
    def createServer(self, serverName):
        return serverName

    def startCompute(self, host_name):
        return host_name

    def test_one(self):
        server_name = self.createServer('a')
        host_name = self.startCompute('h')
        image_ref = flavor_ref = 'x'
        self.assertEqual(server_name, host_name + image_ref + flavor_ref)
",
            ),
        ],
    );
    assert_eq!(
        findings(&root, "pkg/test_child.py", "TQ201"),
        vec![("TQ201".to_string(), "startCompute".to_string())],
        "`createServer` overrides the base in pkg/base.py; `startCompute` is the file's own"
    );
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn methods_of_classes_with_unresolvable_bases_are_not_flagged() {
    let root = package(
        "unresolved",
        &[
            ("pkg/__init__.py", ""),
            (
                "pkg/test_child.py",
                "\
from elsewhere import SomeBase


class ChildTest(SomeBase):
    def startCompute(self, host_name):
        return host_name

    def _helper_one(self, server_name, image_ref):
        flavor_ref = server_name + image_ref
        return flavor_ref
",
            ),
        ],
    );
    assert!(findings(&root, "pkg/test_child.py", "TQ201").is_empty());
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn tests_inherited_from_a_test_case_in_another_file_are_compared() {
    let root = package(
        "tests",
        &[
            ("pkg/__init__.py", ""),
            ("pkg/base.py", BASE),
            (
                "pkg/test_child.py",
                "\
from pkg import base


class ChildTests(base.BaseTest):
    def test_one(self):
        pass

    def test_two(self):
        pass

    def testThree(self):
        pass
",
            ),
        ],
    );
    assert_eq!(
        findings(&root, "pkg/test_child.py", "TQ202,TQ203"),
        vec![("TQ202".to_string(), "testThree".to_string())],
        "the tests are tests (not helpers) although the file alone cannot tell"
    );
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn attributes_declared_by_a_base_in_another_file_are_not_reported() {
    let root = package(
        "attributes",
        &[
            ("pkg/__init__.py", ""),
            (
                "pkg/base.py",
                "\
import unittest


class BaseTest(unittest.TestCase):
    api: object
    admin_api = None
",
            ),
            (
                "pkg/test_child.py",
                "\
from pkg import base


class ChildTest(base.BaseTest):
    \"\"\"Child.\"\"\"

    def setUp(self):
        super().setUp()
        self.api = object()
        self.admin_api = object()
        self.flavor = object()
",
            ),
        ],
    );
    assert_eq!(
        findings(&root, "pkg/test_child.py", "TQ204"),
        vec![("TQ204".to_string(), "self.flavor".to_string())]
    );
    let _ = std::fs::remove_dir_all(root);
}
