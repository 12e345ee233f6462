"""The language server driven over stdio with the captured capabilities of
VS Code and Neovim (each test runs once per client)."""

from __future__ import annotations

import re

import pytest
from lsprotocol import types as t
from proctor_e2e.lsp import Document, Session, codes, hover_markdown
from proctor_e2e.targets import Fix, Target, selected_target
from proctor_e2e.text import range_contains

TARGET = selected_target()

# Also when collected under a config without asyncio_mode = auto.
pytestmark = pytest.mark.asyncio


def by_code(diagnostics: list[t.Diagnostic], code: str) -> t.Diagnostic:
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, f"expected one {code}, got {codes(diagnostics)}"
    return found[0]


def titles(actions) -> list[str]:
    return [a.title for a in actions]


async def open_sample(session: Session, target: Target, rel: str | None = None):
    doc = session.open(rel or target.sample_path, target.sample_text)
    return doc, await session.diagnostics(doc)


async def settle(session: Session, doc: Document, expected: frozenset[str]):
    """Re-check the current text and compare the codes."""
    diagnostics = await session.diagnostics(doc)
    assert codes(diagnostics) == sorted(expected), doc.text
    return diagnostics


async def test_initialize_result(session: Session, target: Target):
    caps = session.result.capabilities
    offered = session.client.capabilities.general
    offered_encodings = (offered and offered.position_encodings) or ["utf-16"]
    assert session.encoding in offered_encodings, (
        f"server chose {session.encoding}, client offered {offered_encodings}"
    )
    sync = caps.text_document_sync
    assert sync is not None
    if isinstance(sync, t.TextDocumentSyncOptions):
        assert sync.open_close, "server must want didOpen/didClose"
        assert sync.change in (
            t.TextDocumentSyncKind.Full,
            t.TextDocumentSyncKind.Incremental,
        )
    assert caps.hover_provider
    provider = caps.code_action_provider
    assert provider
    if (
        isinstance(provider, t.CodeActionOptions)
        and provider.code_action_kinds is not None
    ):
        kinds = set(provider.code_action_kinds)
        assert {target.quickfix.kind, target.rewrite.kind, target.fix_all.kind} <= kinds


async def test_diagnostics(session: Session, target: Target):
    _, diagnostics = await open_sample(session, target)
    assert codes(diagnostics) == sorted(target.codes)
    for expected in target.diagnostics:
        got = by_code(diagnostics, expected.code)
        assert got.source == target.source
        assert (got.range.start.line, got.range.start.character) == expected.start, got
        assert (got.range.end.line, got.range.end.character) == expected.end, got
        assert expected.message_contains.lower() in got.message.lower(), got.message
        assert isinstance(got.data, dict), f"{expected.code}: data is {got.data!r}"
        assert expected.data.items() <= got.data.items(), got.data
        if got.code_description is not None:
            assert re.match(r"https?://", got.code_description.href), (
                got.code_description
            )


@pytest.mark.parametrize("which", ["quickfix", "suppress"])
async def test_quick_fix(session: Session, target: Target, which: str):
    fix: Fix = getattr(target, which)
    doc, diagnostics = await open_sample(session, target)
    diagnostic = by_code(diagnostics, fix.code)
    actions = await session.code_actions(doc, diagnostic.range, [diagnostic])
    matching = [a for a in actions if a.title == fix.title]
    assert len(matching) == 1, f"{fix.title!r} not offered once: {titles(actions)}"
    action = matching[0]
    assert isinstance(action, t.CodeAction)
    assert action.kind == fix.kind
    new_text = await session.apply(doc, action)
    assert new_text == fix.result
    # The server was told about the edit; its view must match ours.
    await settle(session, doc, fix.remaining)


async def test_rewrite_is_offered(session: Session, target: Target):
    doc, diagnostics = await open_sample(session, target)
    diagnostic = by_code(diagnostics, target.rewrite.code)
    actions = await session.code_actions(doc, diagnostic.range, [diagnostic])
    matching = [a for a in actions if a.title == target.rewrite.title]
    assert len(matching) == 1, (
        f"{target.rewrite.title!r} not offered: {titles(actions)}"
    )
    assert matching[0].kind == target.rewrite.kind


async def test_suppression_offered_on_every_flagged_line(
    session: Session, target: Target
):
    doc, diagnostics = await open_sample(session, target)
    assert codes(diagnostics) == sorted(target.codes)
    for diagnostic in diagnostics:
        actions = await session.code_actions(doc, diagnostic.range, [diagnostic])
        title = target.suppress_title.format(code=diagnostic.code)
        assert title in titles(actions), f"{diagnostic.code}: {titles(actions)}"
        action = next(a for a in actions if a.title == title)
        assert action.kind == "quickfix"


async def test_hover_on_flagged_range(session: Session, target: Target):
    hover = target.hover
    doc = session.open(hover.path, hover.text)
    await session.diagnostics(doc)
    result = await session.hover(doc, hover.line, hover.character)
    assert result is not None, "no hover on a flagged range"
    kind, text = hover_markdown(result)
    assert kind == t.MarkupKind.Markdown
    if hover.startswith is not None:
        assert text.startswith(hover.startswith), text[:200]
    for part in hover.contains:
        assert part.lower() in text.lower(), text
    if result.range is not None:
        assert range_contains(
            result.range, t.Position(line=hover.line, character=hover.character)
        )


@pytest.mark.skipif(TARGET.framework_hover is None, reason="target has no such hover")
async def test_hover_on_framework_name(session: Session, target: Target):
    hover = target.framework_hover
    assert hover is not None
    doc = session.open(hover.path, hover.text)
    await session.diagnostics(doc)
    result = await session.hover(doc, hover.line, hover.character)
    assert result is not None, "no hover on a framework-mandated name"
    _, text = hover_markdown(result)
    for part in hover.contains:
        assert part.lower() in text.lower(), text


@pytest.mark.parametrize("requested", TARGET.fix_all.requested_as)
async def test_fix_all(session: Session, target: Target, requested: str):
    doc, diagnostics = await open_sample(session, target)
    actions = await session.code_actions(
        doc, session.full_range(doc), diagnostics, only=[requested]
    )
    matching = [
        a
        for a in actions
        if isinstance(a, t.CodeAction) and a.kind == target.fix_all.kind
    ]
    assert len(matching) == 1, f"{target.fix_all.kind} not offered once: {actions}"
    new_text = await session.apply(doc, matching[0])
    assert re.fullmatch(target.fix_all.result_pattern, new_text), new_text
    await settle(session, doc, target.fix_all.remaining)


@pytest.mark.parametrize(
    "project_files, expected",
    [
        pytest.param({c.path: c.content}, c.remaining, id=c.id)
        for c in TARGET.config_files
    ],
)
async def test_config_file_found_upward(
    session: Session, target: Target, project_files, expected
):
    # project_files (a fixture the client fixture reads) exist before the server starts.
    _, diagnostics = await open_sample(
        session, target, f"pkg/tests/{target.sample_path}"
    )
    assert codes(diagnostics) == sorted(expected)


@pytest.mark.parametrize("config", TARGET.config_files, ids=lambda c: c.id)
async def test_config_change_rechecks_open_documents(
    session: Session, target: Target, config
):
    doc, diagnostics = await open_sample(session, target)
    assert codes(diagnostics) == sorted(target.codes)

    session.mark(doc)
    path = session.write(config.path, config.content)
    session.files_changed((path, t.FileChangeType.Created))
    await session.wait_for_diagnostics(
        doc,
        lambda ds: codes(ds) == sorted(config.remaining),
        f"re-check with {config.path} giving {sorted(config.remaining)}",
    )

    session.mark(doc)
    path.unlink()
    session.files_changed((path, t.FileChangeType.Deleted))
    await session.wait_for_diagnostics(
        doc,
        lambda ds: codes(ds) == sorted(target.codes),
        f"re-check without {config.path} giving {sorted(target.codes)}",
    )


@pytest.mark.parametrize(
    "init_options, expected",
    [pytest.param(c.options, c.remaining, id=c.id) for c in TARGET.init_options],
)
async def test_initialization_options_select_rules(
    session: Session, target: Target, init_options, expected
):
    # init_options (a fixture the client fixture reads) is sent in initialize.
    _, diagnostics = await open_sample(session, target)
    assert codes(diagnostics) == sorted(expected)


CONFTEST = (
    "import pytest\n\n\n"
    '@pytest.fixture(scope="module")\n'
    "def database():\n"
    '    """A scratch database."""\n'
    "    return {}\n"
)


@pytest.mark.skipif(TARGET.name != "proctor", reason="pytest fixtures are Proctor's")
@pytest.mark.parametrize("project_files", [{"tests/conftest.py": CONFTEST}])
async def test_fixture_hover_and_definition(session: Session, project_files):
    # project_files (a fixture the client fixture reads) exist before the server starts.
    doc = session.open(
        "tests/test_fixture_use.py",
        "def test_reads(database):\n    assert database == {}\n",
    )
    await session.diagnostics(doc)
    hover = await session.hover(doc, 0, 17)
    assert hover is not None, "no hover on a fixture parameter"
    _, text = hover_markdown(hover)
    assert "database" in text and "A scratch database." in text, text
    found = await session.definition(doc, 0, 17)
    assert isinstance(found, t.Location), found
    assert found.uri == session.path("tests/conftest.py").as_uri(), found.uri
    assert found.range.start == t.Position(line=4, character=4), found.range
    assert found.range.end == t.Position(line=4, character=12), found.range
    # A plain name is not a fixture.
    assert await session.definition(doc, 1, 12) is None


@pytest.mark.parametrize("rel", TARGET.test_paths)
async def test_test_files_are_checked(session: Session, target: Target, rel: str):
    _, diagnostics = await open_sample(session, target, rel)
    assert target.marker_code in codes(diagnostics)


@pytest.mark.parametrize("rel", TARGET.non_test_paths)
async def test_non_test_files_get_no_diagnostics(
    session: Session, target: Target, rel: str
):
    other = session.open(rel, target.non_test_text)
    if session.pull:
        assert await session.pull_diagnostics(other) == []
    # A test file opened afterwards is checked; by then the server has
    # handled the first document too.
    _, diagnostics = await open_sample(session, target)
    assert target.marker_code in codes(diagnostics)
    assert list(session.client.diagnostics.get(other.uri, [])) == []
