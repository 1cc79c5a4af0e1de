"""Session state: the chat history, the feature list and each feature's scratchpad.

- history: the last 20 messages (older ones are dropped on write);
- features ``A001``, ``A002``… with a title and a status (``open``,
  ``locked``, ``done``), and a scratchpad each (``code_to_propose``,
  ``target_symbol``, ``user_instruction``);
- ``current_feature_id``: the locked feature, if any (one at a time).

Memory quarantine: :meth:`Session.prompt_scratchpad` returns a scratchpad only
while its feature is locked, so a feature's notes never leak into another
request; recording chat never locks anything.

Everything is stored (secrets redacted) through the vault's
:class:`~mycoder_lsp.memory.store.Store`; this module must not talk to a model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from mycoder_lsp.errors import UserError
from mycoder_lsp.memory.redaction import redact
from mycoder_lsp.memory.store import Store

HISTORY_LIMIT = 20
SCRATCHPAD_FIELDS = ("code_to_propose", "target_symbol", "user_instruction")


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
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- history ---------------------------------------------------------------

    def append(self, role: str, text: str) -> None:
        with self.store.transaction() as conn:
            conn.execute("INSERT INTO history (timestamp, role, text) VALUES (?, ?, ?)",
                         (time.time(), role, redact(text)))
            conn.execute("DELETE FROM history WHERE id NOT IN (SELECT id FROM history ORDER BY id DESC LIMIT ?)",
                         (HISTORY_LIMIT,))

    def history(self) -> list[Message]:
        rows = self.store.query("SELECT role, text, timestamp FROM history ORDER BY id")
        return [Message(*row) for row in rows]

    # -- features --------------------------------------------------------------

    def create_feature(self, title: str) -> FeatureRecord:
        title = " ".join((title or "").split())
        if not title:
            raise UserError("A feature needs a title, e.g. {\"title\": \"Add retry to the HTTP client\"}.")
        with self.store.transaction() as conn:
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM features").fetchone()[0]
            fid = f"A{seq:03d}"
            conn.execute("INSERT INTO features (id, seq, title, status, created) VALUES (?, ?, ?, 'open', ?)",
                         (fid, seq, redact(title), time.time()))
        return self.feature(fid)  # type: ignore[return-value]

    def feature(self, feature_id: str) -> FeatureRecord | None:
        rows = self.store.query(
            "SELECT id, title, status, code_to_propose, target_symbol, user_instruction FROM features WHERE id = ?",
            (str(feature_id).strip().upper(),),
        )
        return FeatureRecord(*rows[0]) if rows else None

    def features(self) -> list[FeatureRecord]:
        rows = self.store.query(
            "SELECT id, title, status, code_to_propose, target_symbol, user_instruction FROM features ORDER BY seq"
        )
        return [FeatureRecord(*row) for row in rows]

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
        with self.store.transaction() as conn:
            conn.execute("UPDATE features SET status = 'open' WHERE status = 'locked' AND id != ?", (fid,))
            conn.execute("UPDATE features SET status = 'locked' WHERE id = ?", (fid,))
            conn.execute("INSERT OR REPLACE INTO state VALUES ('current_feature_id', ?)", (fid,))
        return self.feature(fid)  # type: ignore[return-value]

    def unlock(self, feature_id: str) -> FeatureRecord:
        fid = self._require(feature_id)
        with self.store.transaction() as conn:
            conn.execute("UPDATE features SET status = 'open' WHERE id = ? AND status = 'locked'", (fid,))
            conn.execute("DELETE FROM state WHERE key = 'current_feature_id' AND value = ?", (fid,))
        return self.feature(fid)  # type: ignore[return-value]

    def set_status(self, feature_id: str, status: str) -> FeatureRecord:
        fid = self._require(feature_id)
        if status not in ("open", "locked", "done"):
            raise UserError(f"A feature's status is open, locked or done, not {status!r}.")
        if status == "locked":
            return self.lock(fid)
        with self.store.transaction() as conn:
            conn.execute("UPDATE features SET status = ? WHERE id = ?", (status, fid))
            conn.execute("DELETE FROM state WHERE key = 'current_feature_id' AND value = ?", (fid,))
        return self.feature(fid)  # type: ignore[return-value]

    @property
    def current_feature_id(self) -> str | None:
        rows = self.store.query("SELECT value FROM state WHERE key = 'current_feature_id'")
        return rows[0][0] if rows else None

    def update_scratchpad(self, feature_id: str, **fields: str) -> FeatureRecord:
        """Set some of ``code_to_propose``, ``target_symbol``, ``user_instruction``."""
        fid = self._require(feature_id)
        unknown = set(fields) - set(SCRATCHPAD_FIELDS)
        if unknown:
            raise ValueError(f"unknown scratchpad fields {sorted(unknown)}")
        if fields:
            sets = ", ".join(f"{k} = ?" for k in fields)
            with self.store.transaction() as conn:
                conn.execute(f"UPDATE features SET {sets} WHERE id = ?",
                             [redact(str(v)) for v in fields.values()] + [fid])
        return self.feature(fid)  # type: ignore[return-value]

    def prompt_scratchpad(self) -> FeatureRecord | None:
        """The scratchpad a prompt may see: the locked feature's, or none (quarantine)."""
        fid = self.current_feature_id
        if not fid:
            return None
        record = self.feature(fid)
        return record if record is not None and record.status == "locked" else None


__all__ = ["FeatureRecord", "HISTORY_LIMIT", "Message", "SCRATCHPAD_FIELDS", "Session"]
