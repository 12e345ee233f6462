"""What the end-to-end tests expect from the server under test.

The tests are written once, against a `Target`: the server command plus the
exact diagnostics, code actions, hovers and config behaviour it must show for
a sample file.  `PROCTOR` is the real contract.  `RUFF` is a stand-in used to
exercise the test machinery (client, edits, Neovim driver) against another
real language server; select it with `PROCTOR_E2E_TARGET=ruff`.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Diag:
    """One expected diagnostic (0-based LSP positions)."""

    code: str
    start: tuple[int, int]
    end: tuple[int, int]
    message_contains: str  # case-insensitive
    data: dict = field(default_factory=dict)  # must be a subset of `data`


@dataclass(frozen=True)
class Fix:
    """A code action requested at the diagnostic `code`, applied to the sample."""

    code: str
    title: str
    kind: str
    result: str  # the whole document after the edit
    remaining: frozenset[str]  # diagnostic codes after re-checking the result


@dataclass(frozen=True)
class Action:
    """A code action that must be offered at the diagnostic `code`."""

    code: str
    title: str
    kind: str


@dataclass(frozen=True)
class Hover:
    path: str
    text: str
    line: int
    character: int
    startswith: str | None
    contains: tuple[str, ...]  # case-insensitive substrings


@dataclass(frozen=True)
class FixAll:
    kind: str
    # Kinds a client may put in `context.only` to get the action
    # (VS Code's codeActionsOnSave asks for the parent kind).
    requested_as: tuple[str, ...]
    result_pattern: str  # regular expression the whole fixed document must match
    remaining: frozenset[str]


@dataclass(frozen=True)
class ConfigFile:
    id: str
    path: str
    content: str
    remaining: frozenset[str]  # codes on the sample once this file exists


@dataclass(frozen=True)
class InitOptions:
    id: str
    options: dict
    remaining: frozenset[str]


@dataclass(frozen=True)
class Target:
    name: str
    command: tuple[str, ...]
    source: str
    sample_path: str
    sample_text: str
    diagnostics: tuple[Diag, ...]
    quickfix: Fix
    suppress: Fix
    rewrite: Action
    # Title of the per-line suppression offered on every flagged line.
    suppress_title: str
    hover: Hover
    framework_hover: Hover | None
    fix_all: FixAll
    config_files: tuple[ConfigFile, ...]
    init_options: tuple[InitOptions, ...]
    # Paths (relative to the workspace) where the sample counts as a test
    # file and must get `marker_code`; paths where it must get nothing.
    test_paths: tuple[str, ...]
    marker_code: str
    non_test_paths: tuple[str, ...]
    non_test_text: str
    # A server that publishes diagnostics to a client that pulls them makes
    # Neovim (and VS Code) show every problem twice. Proctor must not; ruff
    # does after a settings reload.
    pushes_to_pull_clients: bool = False

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(d.code for d in self.diagnostics)

    def diag(self, code: str) -> Diag:
        return next(d for d in self.diagnostics if d.code == code)


# --------------------------------------------------------------------------
# Proctor: the contract of `proctor server`.

_PROCTOR_SAMPLE = """\
import time
import unittest


class SampleTest(unittest.TestCase):
    def test_waits(self):
        time.sleep(1)
        self.assertEqual(1 + 1, 2)
"""

_PROCTOR_SETUP_SAMPLE = '''\
import unittest


class SetupTest(unittest.TestCase):
    """Checks that setUp runs."""

    def setUp(self):
        self.value = 1

    def test_value(self):
        """The value is set."""
        self.assertEqual(self.value, 1)
'''


def _proctor_command() -> tuple[str, ...]:
    binary = os.environ.get("PROCTOR_BIN") or str(REPO_ROOT / "target/release/proctor")
    return (str(Path(binary).resolve()), "server")


def proctor_target() -> Target:
    sample = _PROCTOR_SAMPLE
    return Target(
        name="proctor",
        command=_proctor_command(),
        source="proctor",
        sample_path="test_sample.py",
        sample_text=sample,
        diagnostics=(
            Diag("TQ102", (4, 6), (4, 16), "docstring", {"category": "docs"}),
            Diag("TQ101", (5, 8), (5, 18), "docstring", {"category": "docs"}),
            Diag("TQ301", (6, 8), (6, 21), "time.sleep", {"category": "timing"}),
        ),
        quickfix=Fix(
            code="TQ101",
            title="Add docstring stub",
            kind="quickfix",
            result=sample.replace(
                "    def test_waits(self):\n",
                '    def test_waits(self):\n        """Waits."""\n',
            ),
            remaining=frozenset({"TQ102", "TQ301"}),
        ),
        suppress=Fix(
            code="TQ301",
            title="Suppress TQ301 on this line",
            kind="quickfix",
            result=sample.replace(
                "        time.sleep(1)\n", "        time.sleep(1)  # noqa: TQ301\n"
            ),
            remaining=frozenset({"TQ101", "TQ102"}),
        ),
        rewrite=Action("TQ301", "Replace sleep with event wait", "refactor.rewrite"),
        suppress_title="Suppress {code} on this line",
        hover=Hover(
            path="test_sample.py",
            text=sample,
            line=6,
            character=10,
            startswith="**TQ301 sleep-in-test**",
            contains=("What it flags", "Why it matters"),
        ),
        framework_hover=Hover(
            path="test_setup.py",
            text=_PROCTOR_SETUP_SAMPLE,
            line=6,
            character=9,
            startswith=None,
            contains=("setUp", "framework"),
        ),
        fix_all=FixAll(
            kind="source.fixAll.proctor",
            requested_as=("source.fixAll.proctor", "source.fixAll"),
            # Both docstring stubs; the sleep is left alone (its fix is not safe).
            result_pattern=(
                r"import time\n"
                r"import unittest\n"
                r"\n\n"
                r"class SampleTest\(unittest\.TestCase\):\n"
                r'    """[^"\n]+"""\n'
                r"(\n)?"
                r"    def test_waits\(self\):\n"
                r'        """Waits\."""\n'
                r"        time\.sleep\(1\)\n"
                r"        self\.assertEqual\(1 \+ 1, 2\)\n"
            ),
            remaining=frozenset({"TQ301"}),
        ),
        config_files=(
            ConfigFile(
                "proctor.toml",
                "proctor.toml",
                'ignore = ["TQ101"]\n',
                frozenset({"TQ102", "TQ301"}),
            ),
            ConfigFile(
                "pyproject.toml",
                "pyproject.toml",
                '[project]\nname = "sample"\n\n[tool.proctor]\nignore = ["TQ101"]\n',
                frozenset({"TQ102", "TQ301"}),
            ),
        ),
        init_options=(
            InitOptions("ignore", {"ignore": ["TQ101"]}, frozenset({"TQ102", "TQ301"})),
            InitOptions("select", {"select": ["TQ301"]}, frozenset({"TQ301"})),
        ),
        test_paths=(
            "test_sample.py",
            "sample_test.py",
            "conftest.py",
            "tests/helpers.py",
            "pkg/tests/unit/checks.py",
        ),
        marker_code="TQ301",
        non_test_paths=("src/util.py", "sample.py", "src/testing_tools.py"),
        non_test_text=sample,
    )


# --------------------------------------------------------------------------
# Ruff: a stand-in real language server for checking the machinery.

_RUFF_SAMPLE = """\
import os
import sys  # noqa: F401
import time
import unittest


class SampleTest(unittest.TestCase):
    def test_waits(self):
        unused = 1
        time.sleep(1)
        self.assertEqual(1 + 1, 2)
"""


def _ruff_command() -> tuple[str, ...]:
    local = Path(sys.executable).parent / "ruff"
    ruff = str(local) if local.exists() else (shutil.which("ruff") or "ruff")
    return (ruff, "server")


def ruff_target() -> Target:
    sample = _RUFF_SAMPLE
    return Target(
        name="ruff",
        command=_ruff_command(),
        source="Ruff",
        sample_path="test_sample.py",
        sample_text=sample,
        diagnostics=(
            Diag("F401", (0, 7), (0, 9), "`os` imported but unused", {"code": "F401"}),
            Diag("F841", (8, 8), (8, 14), "`unused`", {"code": "F841"}),
        ),
        quickfix=Fix(
            code="F401",
            title="Ruff (F401): Remove unused import: `os`",
            kind="quickfix",
            result=sample.replace("import os\n", "", 1),
            remaining=frozenset({"F841"}),
        ),
        suppress=Fix(
            code="F841",
            title="Ruff (F841): Disable for this line",
            kind="quickfix",
            result=sample.replace("unused = 1\n", "unused = 1  # noqa: F841\n"),
            remaining=frozenset({"F401"}),
        ),
        rewrite=Action(
            "F841",
            "Ruff (F841): Remove assignment to unused variable `unused`",
            "quickfix",
        ),
        suppress_title="Ruff ({code}): Disable for this line",
        hover=Hover(
            path="test_sample.py",
            text=sample,
            line=1,
            character=21,
            startswith="# unused-import (F401)",
            contains=("What it does", "Why is this bad"),
        ),
        framework_hover=None,
        fix_all=FixAll(
            kind="source.fixAll.ruff",
            requested_as=("source.fixAll.ruff", "source.fixAll"),
            result_pattern=_escape_all(sample.replace("import os\n", "", 1)),
            remaining=frozenset({"F841"}),
        ),
        config_files=(
            ConfigFile(
                "ruff.toml",
                "ruff.toml",
                '[lint]\nignore = ["F841"]\n',
                frozenset({"F401"}),
            ),
            ConfigFile(
                "pyproject.toml",
                "pyproject.toml",
                '[project]\nname = "sample"\n\n[tool.ruff.lint]\nignore = ["F841"]\n',
                frozenset({"F401"}),
            ),
        ),
        init_options=(
            InitOptions(
                "ignore",
                {"settings": {"lint": {"ignore": ["F841"]}}},
                frozenset({"F401"}),
            ),
            InitOptions(
                "select",
                {"settings": {"lint": {"select": ["F841"]}}},
                frozenset({"F841"}),
            ),
        ),
        test_paths=(
            "test_sample.py",
            "sample_test.py",
            "conftest.py",
            "tests/helpers.py",
        ),
        marker_code="F401",
        non_test_paths=("src/util.py",),
        non_test_text="def add(a, b):\n    return a + b\n",
        pushes_to_pull_clients=True,
    )


def _escape_all(text: str) -> str:
    return re.escape(text)


TARGETS = {"proctor": proctor_target, "ruff": ruff_target}


@functools.cache
def selected_target() -> Target:
    name = os.environ.get("PROCTOR_E2E_TARGET", "proctor")
    try:
        return TARGETS[name]()
    except KeyError:
        raise SystemExit(
            f"PROCTOR_E2E_TARGET={name!r}: expected one of {', '.join(TARGETS)}"
        ) from None
