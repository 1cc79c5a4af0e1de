"""Session state: the chat history, the feature list and each feature's scratchpad.

- history: the last 20 messages (older ones are dropped on write);
- features ``A001``, ``A002``… with a title and a status (``open``,
  ``locked``, ``done``), and a scratchpad each (``code_to_propose``,
  ``target_symbol``, ``user_instruction``);
- ``current_feature_id``: the locked feature, if any (one at a time).

Memory quarantine: :meth:`Session.prompt_scratchpad` returns a scratchpad only
while its feature is locked, so a feature's notes never leak into another
request; recording chat never locks anything.

Everything is stored (secrets redacted) through the vault's store
(:class:`~mycoder_lsp.memory.store.VaultStore`); this module must not talk to a model.
"""

from __future__ import annotations

from dataclasses import dataclass

from mycoder_lsp.errors import UserError
from mycoder_lsp.memory.redaction import redact
from mycoder_lsp.memory.store import SCRATCHPAD_FIELDS, VaultStore

HISTORY_LIMIT = 20


@dataclass(frozen=True)
class Message:
    role: str
    text: str
    timestamp: float


@dataclass(frozen=True)
class FeatureRecord:
    id: str
    title: str
    status: str  # open | locked | done
    code_to_propose: str = ""
    target_symbol: str = ""
    user_instruction: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "code_to_propose": self.code_to_propose,
            "target_symbol": self.target_symbol,
            "user_instruction": self.user_instruction,
        }


class Session:
    def __init__(self, store: VaultStore) -> None:
        self.store = store

    # -- history ---------------------------------------------------------------

    def append(self, role: str, text: str) -> None:
        self.store.append_history(role, redact(text), HISTORY_LIMIT)

    def history(self) -> list[Message]:
        return [Message(*row) for row in self.store.history()]

    # -- features --------------------------------------------------------------

    def create_feature(self, title: str) -> FeatureRecord:
        title = " ".join((title or "").split())
        if not title:
            raise UserError("A feature needs a title, e.g. {\"title\": \"Add retry to the HTTP client\"}.")
        fid = self.store.create_feature(redact(title))
        return self.feature(fid)  # type: ignore[return-value]

    def feature(self, feature_id: str) -> FeatureRecord | None:
        row = self.store.feature_row(str(feature_id).strip().upper())
        return FeatureRecord(*row) if row else None

    def features(self) -> list[FeatureRecord]:
        return [FeatureRecord(*row) for row in self.store.feature_rows()]

    def _require(self, feature_id: str) -> str:
        fid = str(feature_id or "").strip().upper()
        if self.feature(fid) is None:
            known = ", ".join(f.id for f in self.features()) or "none yet"
            raise UserError(f"There is no feature {feature_id!r} (known: {known}); create one with "
                            "mycoder.feature.create.")
        return fid

    def lock(self, feature_id: str) -> FeatureRecord:
        """Make ``feature_id`` the current feature; any other locked one is unlocked."""
        fid = self._require(feature_id)
        self.store.lock_feature(fid)
        return self.feature(fid)  # type: ignore[return-value]

    def unlock(self, feature_id: str) -> FeatureRecord:
        fid = self._require(feature_id)
        self.store.unlock_feature(fid)
        return self.feature(fid)  # type: ignore[return-value]

    @property
    def current_feature_id(self) -> str | None:
        return self.store.current_feature_id()

    def update_scratchpad(self, feature_id: str, **fields: str) -> FeatureRecord:
        """Set some of ``code_to_propose``, ``target_symbol``, ``user_instruction``."""
        fid = self._require(feature_id)
        unknown = set(fields) - set(SCRATCHPAD_FIELDS)
        if unknown:
            raise ValueError(f"unknown scratchpad fields {sorted(unknown)}")
        self.store.update_feature(fid, {k: redact(str(v)) for k, v in fields.items()})
        return self.feature(fid)  # type: ignore[return-value]

    def prompt_scratchpad(self) -> FeatureRecord | None:
        """The scratchpad a prompt may see: the locked feature's, or none (quarantine)."""
        fid = self.current_feature_id
        if not fid:
            return None
        record = self.feature(fid)
        return record if record is not None and record.status == "locked" else None


__all__ = ["FeatureRecord", "HISTORY_LIMIT", "Message", "SCRATCHPAD_FIELDS", "Session"]
