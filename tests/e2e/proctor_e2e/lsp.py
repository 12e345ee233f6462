"""A pytest-lsp client that behaves like an editor: it keeps documents, gets
diagnostics the way the impersonated client would (pull or publish), applies
workspace edits and tells the server about the result."""

from __future__ import annotations

import asyncio
import os
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types as t
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from . import text as txt

# Upper bound for waiting on the server; generous on purpose (slow CI
# machines), never an assertion about speed.
WAIT_SECONDS = float(os.environ.get("PROCTOR_E2E_WAIT", "30"))

# Captured client capabilities shipped with pytest-lsp.
CLIENTS = ("visual-studio-code", "neovim")
CLIENT_INFO = {"visual-studio-code": "Visual Studio Code", "neovim": "Neovim"}


def converter_factory():
    converter = default_converter()
    # lsprotocol has no structure hook for the optional `notebook` member of
    # a NotebookDocumentFilterWithCells, which some servers (ruff) announce.
    notebook = typing.get_type_hints(t.NotebookDocumentFilterWithCells)["notebook"]
    kinds = {
        "notebookType": t.NotebookDocumentFilterNotebookType,
        "scheme": t.NotebookDocumentFilterScheme,
        "pattern": t.NotebookDocumentFilterPattern,
    }

    def structure_notebook(obj, _type):
        if obj is None or isinstance(obj, str):
            return obj
        for key, cls in kinds.items():
            if key in obj:
                return converter.structure(obj, cls)
        raise ValueError(f"unknown notebook filter {obj!r}")

    converter.register_structure_hook(notebook, structure_notebook)
    return converter


class EditorClient(LanguageClient):
    """pytest-lsp's client plus the bookkeeping of an editor."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.publishes: dict[str, list[t.PublishDiagnosticsParams]] = {}
        self.registrations: list[t.Registration] = []
        self.session: Session | None = None
        self._signal = asyncio.Event()

    def bump(self) -> None:
        self._signal.set()
        self._signal = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], Any], what: str) -> Any:
        """Wait (bounded) until predicate() returns something other than None;
        it is re-evaluated after each message from the server."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_SECONDS
        while True:
            signal = self._signal
            if (result := predicate()) is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"gave up waiting for {what}")
            try:
                await asyncio.wait_for(signal.wait(), remaining)
            except TimeoutError:
                pass


def _on_publish(ls: EditorClient, params: t.PublishDiagnosticsParams):
    ls.diagnostics[params.uri] = params.diagnostics
    ls.publishes.setdefault(params.uri, []).append(params)
    ls.bump()


def _on_register(ls: EditorClient, params: t.RegistrationParams):
    ls.registrations.extend(params.registrations)


def _on_unregister(ls: EditorClient, params: t.UnregistrationParams):
    gone = {u.id for u in params.unregisterations}
    ls.registrations = [r for r in ls.registrations if r.id not in gone]


def _on_apply_edit(ls: EditorClient, params: t.ApplyWorkspaceEditParams):
    assert ls.session is not None
    ls.session.apply_workspace_edit(params.edit)
    ls.bump()
    return t.ApplyWorkspaceEditResult(applied=True)


def make_client() -> EditorClient:
    client = EditorClient(converter_factory=converter_factory)
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _on_publish
    features[t.CLIENT_REGISTER_CAPABILITY] = _on_register
    features[t.CLIENT_UNREGISTER_CAPABILITY] = _on_unregister
    features[t.WORKSPACE_APPLY_EDIT] = _on_apply_edit
    register_lsp_features(client, features)
    return client


@dataclass
class Document:
    path: Path
    uri: str
    text: str
    version: int = 1
    # Number of publishDiagnostics seen for this uri when the current
    # version was sent; a newer publish describes this version.
    mark: int = 0
    language_id: str = "python"
    history: list[str] = field(default_factory=list)


def codes(diagnostics: Sequence[t.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


class Session:
    """One initialized server, driven like the client it impersonates."""

    def __init__(
        self,
        client: EditorClient,
        client_name: str,
        root: Path,
        result: t.InitializeResult,
    ):
        self.client = client
        self.client_name = client_name
        self.root = root
        self.result = result
        caps = result.capabilities
        self.encoding = str(caps.position_encoding or "utf-16")
        sync = caps.text_document_sync
        if isinstance(sync, t.TextDocumentSyncOptions):
            sync = sync.change
        self.sync_kind = sync or t.TextDocumentSyncKind.None_
        client_caps = client.capabilities
        assert client_caps is not None
        client_pull = (
            client_caps.text_document is not None
            and client_caps.text_document.diagnostic is not None
        )
        self.pull = client_pull and caps.diagnostic_provider is not None
        self.documents: dict[str, Document] = {}
        client.session = self

    # -- files and documents ------------------------------------------------

    def path(self, rel: str) -> Path:
        return self.root / rel

    def write(self, rel: str, content: str) -> Path:
        path = self.path(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        return path

    def open(self, rel: str, content: str) -> Document:
        path = self.write(rel, content)
        doc = Document(path=path, uri=path.as_uri(), text=content)
        doc.mark = len(self.client.publishes.get(doc.uri, []))
        self.documents[doc.uri] = doc
        self.client.text_document_did_open(
            t.DidOpenTextDocumentParams(
                text_document=t.TextDocumentItem(
                    uri=doc.uri,
                    language_id=doc.language_id,
                    version=doc.version,
                    text=doc.text,
                )
            )
        )
        return doc

    def close(self, doc: Document) -> None:
        self.client.text_document_did_close(
            t.DidCloseTextDocumentParams(
                text_document=t.TextDocumentIdentifier(uri=doc.uri)
            )
        )
        del self.documents[doc.uri]

    def change(
        self, doc: Document, new_text: str, edits: Sequence[t.TextEdit] | None = None
    ) -> None:
        """Send didChange: incremental events if the server asked for them
        and we know the edits, else the whole text."""
        if self.sync_kind == t.TextDocumentSyncKind.None_:
            raise AssertionError("server does not want document changes")
        if edits and self.sync_kind == t.TextDocumentSyncKind.Incremental:
            changes: list = txt.edits_as_changes(doc.text, edits, self.encoding)
        else:
            changes = [t.TextDocumentContentChangeWholeDocument(text=new_text)]
        doc.history.append(doc.text)
        doc.text = new_text
        doc.version += 1
        doc.mark = len(self.client.publishes.get(doc.uri, []))
        self.client.text_document_did_change(
            t.DidChangeTextDocumentParams(
                text_document=t.VersionedTextDocumentIdentifier(
                    uri=doc.uri, version=doc.version
                ),
                content_changes=changes,
            )
        )

    def mark(self, doc: Document) -> None:
        """Forget what was published so far for doc (before causing a re-check)."""
        doc.mark = len(self.client.publishes.get(doc.uri, []))

    def files_changed(self, *changes: tuple[Path, t.FileChangeType]) -> None:
        self.client.workspace_did_change_watched_files(
            t.DidChangeWatchedFilesParams(
                changes=[t.FileEvent(uri=p.as_uri(), type=kind) for p, kind in changes]
            )
        )

    # -- diagnostics --------------------------------------------------------

    async def pull_diagnostics(self, doc: Document) -> list[t.Diagnostic]:
        report = await self.client.text_document_diagnostic_async(
            t.DocumentDiagnosticParams(
                text_document=t.TextDocumentIdentifier(uri=doc.uri)
            )
        )
        assert isinstance(report, t.RelatedFullDocumentDiagnosticReport), (
            f"expected a full report without a previous result id, got {report!r}"
        )
        return list(report.items)

    def _published_since_mark(self, doc: Document) -> list[t.PublishDiagnosticsParams]:
        return self.client.publishes.get(doc.uri, [])[doc.mark :]

    async def diagnostics(self, doc: Document) -> list[t.Diagnostic]:
        """The diagnostics of the document's current version."""
        if self.pull:
            return await self.pull_diagnostics(doc)

        def fresh():
            for params in reversed(self._published_since_mark(doc)):
                if params.version is None or params.version == doc.version:
                    return params
            return None

        params = await self.client.wait_until(
            fresh, f"publishDiagnostics for {doc.path.name} v{doc.version}"
        )
        return list(params.diagnostics)

    async def wait_for_diagnostics(
        self, doc: Document, predicate: Callable[[list[t.Diagnostic]], bool], what: str
    ) -> list[t.Diagnostic]:
        """Diagnostics once they satisfy predicate, e.g. after a config change
        (publish: the next matching publish; pull: pull again until they do)."""
        if not self.pull:

            def latest():
                published = self._published_since_mark(doc)
                if published and predicate(list(published[-1].diagnostics)):
                    return list(published[-1].diagnostics)
                return None

            return await self.client.wait_until(latest, what)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_SECONDS
        while True:
            items = await self.pull_diagnostics(doc)
            if predicate(items):
                return items
            if loop.time() > deadline:
                raise AssertionError(
                    f"gave up waiting for {what}; last: {codes(items)}"
                )
            await asyncio.sleep(0.1)

    # -- code actions -------------------------------------------------------

    async def code_actions(
        self,
        doc: Document,
        rng: t.Range,
        diagnostics: Sequence[t.Diagnostic],
        only: Sequence[str] | None = None,
    ) -> list[t.CodeAction | t.Command]:
        result = await self.client.text_document_code_action_async(
            t.CodeActionParams(
                text_document=t.TextDocumentIdentifier(doc.uri),
                range=rng,
                context=t.CodeActionContext(
                    diagnostics=list(diagnostics),
                    only=list(only) if only else None,
                    trigger_kind=t.CodeActionTriggerKind.Invoked,
                ),
            )
        )
        return list(result or [])

    async def resolve(self, action: t.CodeAction) -> t.CodeAction:
        provider = self.result.capabilities.code_action_provider
        can_resolve = (
            isinstance(provider, t.CodeActionOptions) and provider.resolve_provider
        )
        if action.edit is None and action.data is not None and can_resolve:
            action = await self.client.code_action_resolve_async(action)
        return action

    async def apply(self, doc: Document, action: t.CodeAction | t.Command) -> str:
        """Apply an action as an editor does; returns the document's new text."""
        command = action if isinstance(action, t.Command) else None
        if isinstance(action, t.CodeAction):
            assert action.disabled is None, f"action is disabled: {action.disabled}"
            action = await self.resolve(action)
            if action.edit is not None:
                self.apply_workspace_edit(action.edit)
            command = action.command
            assert action.edit is not None or command is not None, (
                f"code action has neither an edit nor a command: {action!r}"
            )
        if command is not None:
            await self.client.workspace_execute_command_async(
                t.ExecuteCommandParams(
                    command=command.command, arguments=command.arguments
                )
            )
        return doc.text

    def apply_workspace_edit(self, edit: t.WorkspaceEdit) -> None:
        per_uri: dict[str, list[t.TextEdit]] = {}
        if edit.document_changes is not None:
            assert edit.changes is None or not edit.changes, (
                "workspace edit has both documentChanges and changes"
            )
            for change in edit.document_changes:
                assert isinstance(change, t.TextDocumentEdit), (
                    f"unexpected resource operation in a fix: {change!r}"
                )
                uri = change.text_document.uri
                doc = self.documents.get(uri)
                assert doc is not None, f"edit for a document that is not open: {uri}"
                version = change.text_document.version
                assert version is None or version == doc.version, (
                    f"edit for version {version} of {uri}, document is at {doc.version}"
                )
                per_uri.setdefault(uri, []).extend(change.edits)  # type: ignore[arg-type]
        for uri, edits in (edit.changes or {}).items():
            assert uri in self.documents, f"edit for a document that is not open: {uri}"
            per_uri.setdefault(uri, []).extend(edits)
        assert per_uri, "workspace edit changes nothing"
        for uri, edits in per_uri.items():
            doc = self.documents[uri]
            new_text = txt.apply_text_edits(doc.text, edits, self.encoding)
            self.change(doc, new_text, edits)

    # -- hover --------------------------------------------------------------

    async def hover(self, doc: Document, line: int, character: int) -> t.Hover | None:
        return await self.client.text_document_hover_async(
            t.HoverParams(
                text_document=t.TextDocumentIdentifier(uri=doc.uri),
                position=t.Position(line=line, character=character),
            )
        )

    async def definition(self, doc: Document, line: int, character: int):
        return await self.client.text_document_definition_async(
            t.DefinitionParams(
                text_document=t.TextDocumentIdentifier(uri=doc.uri),
                position=t.Position(line=line, character=character),
            )
        )

    def full_range(self, doc: Document) -> t.Range:
        return t.Range(
            start=t.Position(line=0, character=0),
            end=txt.end_position(doc.text, self.encoding),
        )


def hover_markdown(hover: t.Hover) -> tuple[str, str]:
    """(kind, text) of a hover's contents."""
    contents = hover.contents
    if isinstance(contents, t.MarkupContent):
        return t.MarkupKind(contents.kind).value, contents.value
    items = contents if isinstance(contents, list) else [contents]
    parts = []
    for item in items:
        if isinstance(item, str):
            parts.append(item)
        else:
            parts.append(f"```{item.language}\n{item.value}\n```")
    return "markdown", "\n\n".join(parts)
