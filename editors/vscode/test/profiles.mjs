// What the real-editor test expects from the language server.
//
// `proctor` is the server's contract and the default. `ruff` lets the harness
// itself be exercised against `ruff server` (through a wrapper that maps
// `proctor server` to `ruff server` and `proctor rule` to `ruff rule`) when no
// Proctor binary is at hand. Lines and columns are 1-based.

const proctorSample = `import time
import unittest


class SampleTest(unittest.TestCase):
    def test_waits(self):
        time.sleep(1)
        self.assertEqual(1 + 1, 2)
`;

const ruffSample = `import os
import sys  # noqa: F401
import time


def test_waits():
    time.sleep(1)
    assert 1 + 1 == 2
`;

export const profiles = {
  proctor: {
    fileName: "test_sample.py",
    text: proctorSample,
    source: "proctor",
    diagnostics: [
      { code: "TQ301", line: 7, message: "time.sleep" },
      { code: "TQ101", line: 6 },
      { code: "TQ102", line: 5 },
    ],
    quickFix: {
      line: 6,
      anchor: "test_waits",
      title: "Add docstring stub",
      expected: proctorSample.replace(
        "    def test_waits(self):\n",
        '    def test_waits(self):\n        """Waits."""\n',
      ),
    },
    hover: {
      line: 7,
      anchor: "sleep",
      expect: ["TQ301 sleep-in-test", "What it flags", "Why it matters"],
    },
    ruleDocs: { code: "TQ301", expect: ["sleep-in-test", "What it flags"] },
  },

  ruff: {
    fileName: "test_sample.py",
    text: ruffSample,
    source: "Ruff",
    diagnostics: [{ code: "F401", line: 1, message: "`os` imported but unused" }],
    quickFix: {
      line: 1,
      anchor: "os",
      title: "Remove unused import: `os`",
      expected: ruffSample.replace("import os\n", ""),
    },
    // ruff's hover explains the rule named in a `# noqa:` comment.
    hover: {
      line: 2,
      anchor: "F401",
      expect: ["unused-import (F401)", "What it does"],
    },
    ruleDocs: { code: "F401", expect: ["unused-import (F401)", "What it does"] },
  },
};
