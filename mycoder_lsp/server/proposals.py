"""Proposed edits waiting for the user to accept or reject them.

With ``edits.preview`` on and a client that says it can show a preview
(``experimental.mycoder.editPreview``), a fix/modify/ask edit is not applied:
the command answers a proposal (its id, the document's version, the whole
new text) and the editor shows it as a diff. ``mycoder.acceptEdit`` then
applies it, ``mycoder.rejectEdit`` drops it. This module only keeps them:
bounded (the newest ``PROPOSALS_KEPT``), and dropped when their document
closes. It knows nothing of the model or of how an edit is applied.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types

from mycoder_lsp.server.documents import normalize_uri

# A user reviews one edit at a time; a few more cover edits proposed in
# several files before any was looked at. Older ones are forgotten.
PROPOSALS_KEPT = 16


@dataclass
class Proposal:
    """One edit the user has not decided on yet."""

    id: str
    uri: str
    version: int | None
    # content_hash of the document the edit was computed against: accepted
    # only while the document still says exactly that.
    digest: str
    label: str
    new_text: str
    edits: list[dict[str, Any]]
    workspace_edit: types.WorkspaceEdit
    warnings: list[str] = field(default_factory=list)
    related: list[dict[str, Any]] = field(default_factory=list)
    # What the command would have answered had the edit been applied at once,
    # and what to do once it is (both opaque here: see features/commands.py).
    data: dict[str, Any] = field(default_factory=dict)
    on_applied: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "uri": self.uri, "version": self.version, "label": self.label,
                "new_text": self.new_text, "edits": self.edits, "warnings": self.warnings,
                "related": self.related}


def new_id() -> str:
    return f"edit-{uuid.uuid4().hex[:12]}"


class Proposals:
    """The proposals not yet accepted or rejected, oldest first."""

    def __init__(self, limit: int = PROPOSALS_KEPT) -> None:
        self.limit = limit
        self._items: OrderedDict[str, Proposal] = OrderedDict()

    def add(self, proposal: Proposal) -> None:
        self._items[proposal.id] = proposal
        while len(self._items) > self.limit:
            self._items.popitem(last=False)

    def get(self, proposal_id: str | None) -> Proposal | None:
        """The proposal ``proposal_id``; None means the newest one."""
        if proposal_id is None:
            return next(reversed(self._items.values()), None)
        return self._items.get(proposal_id)

    def pop(self, proposal_id: str) -> Proposal | None:
        return self._items.pop(proposal_id, None)

    def drop_document(self, uri: str) -> None:
        key = normalize_uri(uri)
        for proposal in [p for p in self._items.values() if normalize_uri(p.uri) == key]:
            del self._items[proposal.id]

    def __len__(self) -> int:
        return len(self._items)
