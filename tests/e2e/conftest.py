from __future__ import annotations

import os
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as t
from proctor_e2e.lsp import CLIENT_INFO, CLIENTS, EditorClient, Session, make_client
from proctor_e2e.targets import Target, selected_target
from pytest_lsp import ClientServerConfig, client_capabilities

TARGET = selected_target()


def pytest_report_header(config):
    return f"e2e target: {TARGET.name} ({' '.join(TARGET.command)})"


def _require_server() -> None:
    binary = Path(TARGET.command[0])
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(
            f"server binary {binary} not found: run `cargo build --release` "
            "or point PROCTOR_BIN at it",
            pytrace=False,
        )


@pytest.fixture
def target() -> Target:
    return TARGET


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    return root


@pytest.fixture
def init_options() -> dict | None:
    """initializationOptions; tests override it with parametrize."""
    return None


@pytest.fixture
def project_files() -> dict[str, str]:
    """Files written into the workspace before the server starts;
    tests override it with parametrize."""
    return {}


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=list(TARGET.command), client_factory=make_client
    ),
    params=CLIENTS,
)
async def client(
    request, lsp_client: EditorClient, workspace: Path, init_options, project_files
):
    name = request.param
    for rel, content in project_files.items():
        path = workspace / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    result = await lsp_client.initialize_session(
        t.InitializeParams(
            capabilities=client_capabilities(name),
            client_info=t.ClientInfo(name=CLIENT_INFO[name]),
            root_uri=workspace.as_uri(),
            root_path=str(workspace),
            workspace_folders=[
                t.WorkspaceFolder(uri=workspace.as_uri(), name=workspace.name)
            ],
            initialization_options=init_options,
        )
    )
    session = Session(lsp_client, name, workspace, result)
    yield
    pushed = {
        uri: [len(p.diagnostics) for p in params]
        for uri, params in lsp_client.publishes.items()
        if any(p.diagnostics for p in params)
    }
    await lsp_client.shutdown_session()
    server = lsp_client._server
    assert server is not None and server.returncode == 0, (
        f"server exited with {server and server.returncode} after shutdown and exit"
    )
    if session.pull and not TARGET.pushes_to_pull_clients:
        assert not pushed, (
            f"client pulls diagnostics, yet the server published: {pushed}"
        )


@pytest.fixture
def session(client: EditorClient) -> Session:
    assert client.session is not None
    return client.session


@pytest.fixture(autouse=True)
def _server_exists():
    # Fail early and clearly, rather than with a broken pipe, when the
    # server is not built.
    _require_server()
