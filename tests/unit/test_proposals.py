"""The proposals kept for mycoder.acceptEdit: bounded, newest first to act
on, dropped with their document whatever the spelling of its URI."""

from __future__ import annotations

from lsprotocol import types

from mycoder_lsp.server.proposals import PROPOSALS_KEPT, Proposal, Proposals, new_id


def proposal(uri: str = "file:///p/m.py", pid: str | None = None) -> Proposal:
    return Proposal(id=pid or new_id(), uri=uri, version=1, digest="d", label="Changed f", new_text="x\n",
                    edits=[], workspace_edit=types.WorkspaceEdit(changes={}))


def test_only_the_newest_are_kept_and_none_means_the_newest():
    kept = Proposals()
    made = [proposal() for _ in range(PROPOSALS_KEPT + 3)]
    for p in made:
        kept.add(p)
    assert len(kept) == PROPOSALS_KEPT
    assert kept.get(made[0].id) is None and kept.get(made[2].id) is None
    assert kept.get(made[3].id) is made[3]
    assert kept.get(None) is made[-1]
    assert kept.pop(made[-1].id) is made[-1] and kept.get(None) is made[-2]
    assert Proposals().get(None) is None


def test_closing_a_document_drops_its_proposals_by_any_spelling_of_its_uri():
    kept = Proposals()
    mine, other = proposal("file:///p/my%20file.py"), proposal("file:///p/other.py")
    kept.add(mine)
    kept.add(other)
    kept.drop_document("file:///p/my file.py")
    assert kept.get(mine.id) is None and kept.get(other.id) is other


def test_the_json_is_what_the_editors_read():
    p = proposal(pid="edit-1")
    assert p.to_json() == {"id": "edit-1", "uri": "file:///p/m.py", "version": 1, "label": "Changed f",
                           "new_text": "x\n", "edits": [], "warnings": [], "related": []}
