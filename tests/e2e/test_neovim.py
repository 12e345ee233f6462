"""The server in a real, headless Neovim 0.11 configured by editors/neovim.

nvim/driver.lua opens a test file, waits for diagnostics, shows a hover,
applies code actions, runs the fix-all command and edits the config file;
it records everything in a JSON file. Each Neovim run is shared by the tests
of this module, which only assert on the record.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from proctor_e2e.lsp import WAIT_SECONDS
from proctor_e2e.targets import REPO_ROOT, Target, selected_target

TARGET = selected_target()
PLUGIN_DIR = REPO_ROOT / "editors" / "neovim"
DRIVER = Path(__file__).parent / "nvim" / "driver.lua"
# Config files the plugin reports to the server when written.
PLUGIN_CONFIG_FILES = ("proctor.toml", "pyproject.toml")


def nvim_binary() -> Path:
    if env := os.environ.get("PROCTOR_NVIM"):
        return Path(env)
    return Path(sys.executable).parent / "nvim"


@dataclass
class NvimRun:
    root: Path
    sample: Path
    result: dict
    log: str

    def context(self) -> str:
        """Extra text for assertion messages."""
        return (
            f"\nsteps: {self.result.get('steps')}\nerror: {self.result.get('error')}"
            f"\ncode action choices: {self.result.get('ui_select')}"
            f"\nmessages: {self.result.get('messages')}\nlsp.log:\n{self.log[-4000:]}"
        )


def reload_codes(target: Target) -> list[str]:
    """Codes Neovim shows once the plugin reported the config file written."""
    config = next(c for c in target.config_files if c.path in PLUGIN_CONFIG_FILES)
    if target.pushes_to_pull_clients:
        # Pushed and pulled copies of each diagnostic (the ruff stand-in).
        return sorted(list(config.remaining) * 2)
    return sorted(config.remaining)


def run_nvim(base: Path, target: Target, **extra) -> NvimRun:
    root = base / "project"
    (root / ".git").mkdir(parents=True)
    sample = root / "tests" / target.sample_path
    sample.parent.mkdir()
    sample.write_text(target.sample_text)
    state = base / "state"
    out = base / "result.json"
    config = next(c for c in target.config_files if c.path in PLUGIN_CONFIG_FILES)
    fix_all = {
        "kind": target.fix_all.kind,
        "remaining": sorted(target.fix_all.remaining),
    }
    if target.fix_all.kind == "source.fixAll.proctor":
        fix_all["command"] = "ProctorFixAll"
    params = {
        "plugin_dir": str(PLUGIN_DIR),
        "cmd": list(target.command),
        "file": str(sample),
        "out": str(out),
        "timeout_ms": int(WAIT_SECONDS * 1000),
        "hover": {"line": target.hover.line, "character": target.hover.character},
        "actions": [
            {
                "title": fix.title,
                "line": target.diag(fix.code).start[0],
                "character": target.diag(fix.code).start[1],
                "remaining": sorted(fix.remaining),
            }
            for fix in (target.quickfix, target.suppress)
        ],
        "fix_all": fix_all,
        "config": {
            "path": str(root / config.path),
            "content": config.content,
            "remaining": reload_codes(target),
        },
        **extra,
    }
    params_file = base / "params.json"
    params_file.write_text(json.dumps(params))
    env = dict(
        os.environ,
        PROCTOR_NVIM_PARAMS=str(params_file),
        XDG_CONFIG_HOME=str(state / "config"),
        XDG_DATA_HOME=str(state / "data"),
        XDG_STATE_HOME=str(state / "state"),
        XDG_CACHE_HOME=str(state / "cache"),
    )
    binary = nvim_binary()
    if not binary.is_file():
        pytest.fail(f"Neovim not found at {binary} (set PROCTOR_NVIM)", pytrace=False)
    log_file = state / "state" / "nvim" / "lsp.log"
    command = [str(binary), "--headless", "-u", "NONE", "-i", "NONE", "-n"]
    try:
        proc = subprocess.run(
            [*command, "-c", f"luafile {DRIVER}"],
            check=False,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            # Every wait inside the driver is bounded; this only guards
            # against a Neovim that hangs outright.
            timeout=WAIT_SECONDS * 30,
        )
    except subprocess.TimeoutExpired as e:
        log = log_file.read_text(errors="replace") if log_file.exists() else ""
        pytest.fail(
            f"Neovim did not finish: {e}\nlsp.log: {log[-4000:]}", pytrace=False
        )
    log = log_file.read_text(errors="replace") if log_file.exists() else ""
    if not out.exists():
        pytest.fail(
            f"Neovim wrote no result (exit {proc.returncode})\nstdout: {proc.stdout}\n"
            f"stderr: {proc.stderr}\nlsp.log: {log[-4000:]}",
            pytrace=False,
        )
    return NvimRun(root, sample, json.loads(out.read_text()), log)


@pytest.fixture(scope="module")
def nvim(tmp_path_factory) -> NvimRun:
    return run_nvim(tmp_path_factory.mktemp("nvim"), TARGET)


@pytest.fixture(scope="module")
def nvim_init_options(tmp_path_factory) -> NvimRun:
    case = TARGET.init_options[0]
    return run_nvim(
        tmp_path_factory.mktemp("nvim-init"),
        TARGET,
        init_options=case.options,
        only_diagnostics=True,
    )


def test_run_completed(nvim: NvimRun):
    assert nvim.result.get("error") is None, nvim.context()
    assert nvim.result["steps"][-1] == "checkhealth", nvim.context()


def test_shipped_lsp_config(nvim: NvimRun):
    config = nvim.result["config"]
    assert config["cmd"] == ["proctor", "server"]
    assert config["filetypes"] == ["python"]
    assert {"pyproject.toml", "proctor.toml", ".git"} <= set(config["root_markers"])


def test_attaches_at_project_root(nvim: NvimRun):
    assert nvim.result["filetype"] == "python"
    client = nvim.result.get("client")
    assert client, nvim.context()
    assert client["attached"]
    assert Path(client["root_dir"]) == nvim.root


def test_diagnostics(nvim: NvimRun, target: Target):
    got = {d["code"]: d for d in nvim.result.get("diagnostics", [])}
    assert sorted(got) == sorted(target.codes), nvim.context()
    for expected in target.diagnostics:
        d = got[expected.code]
        # Neovim columns are bytes; the samples are ASCII.
        assert (d["lnum"], d["col"]) == expected.start, d
        assert (d["end_lnum"], d["end_col"]) == expected.end, d
        assert d["source"] == target.source
        assert expected.message_contains.lower() in d["message"].lower()
        assert expected.data.items() <= (d["data"] or {}).items(), d


def test_hover_float(nvim: NvimRun, target: Target):
    hover = nvim.result.get("hover")
    assert hover, f"no hover window opened{nvim.context()}"
    text = "\n".join(hover["lines"])
    if target.hover.startswith is not None:
        assert text.startswith(target.hover.startswith), text[:200]
    for part in target.hover.contains:
        assert part.lower() in text.lower(), text


@pytest.mark.parametrize("which", ["quickfix", "suppress"])
def test_code_action(nvim: NvimRun, target: Target, which: str):
    fix = getattr(target, which)
    entry = next(
        (a for a in nvim.result.get("actions", []) if a["title"] == fix.title), None
    )
    assert entry, nvim.context()
    assert entry["text"] == fix.result
    assert entry["codes"] == sorted(fix.remaining)
    assert entry["restored_codes"] == sorted(target.codes)


def test_fix_all_command(nvim: NvimRun, target: Target):
    fix_all = nvim.result.get("fix_all")
    assert fix_all, nvim.context()
    assert re.fullmatch(target.fix_all.result_pattern, fix_all["text"]), fix_all["text"]
    assert fix_all["codes"] == sorted(target.fix_all.remaining)
    assert fix_all["restored_codes"] == sorted(target.codes)


def test_config_written_in_neovim_rechecks(nvim: NvimRun, target: Target):
    reload = nvim.result.get("config_reload")
    assert reload, nvim.context()
    assert reload["codes"] == reload_codes(target), nvim.context()


def test_checkhealth(nvim: NvimRun, target: Target):
    text = "\n".join(nvim.result.get("health", []))
    assert "ERROR" not in text, text
    assert f"server command: {' '.join(target.command)}" in text, text
    assert re.search(
        rf"client \d+ running, root {re.escape(str(nvim.root))}, 1 buffer", text
    ), text


def test_init_options_reach_the_server(nvim_init_options: NvimRun, target: Target):
    run = nvim_init_options
    assert run.result.get("error") is None, run.context()
    codes = sorted(d["code"] for d in run.result.get("diagnostics", []))
    assert codes == sorted(target.init_options[0].remaining), run.context()
