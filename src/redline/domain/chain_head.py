"""Chain heads: the length and last hash of every chain, kept outside the store.

A hash chain shows an edited or inserted entry, but not the loss of its newest entries, of a
whole incident, or a chain rebuilt and re-sealed from scratch: each of those is a valid chain.
A head recorded earlier (in an export, a snapshot, a file) pins what existed then; a later chain
must extend it entry for entry. An HMAC with a key kept outside the database stops a forged head.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from redline.domain.timeline import canonical_json

__all__ = ["AUDIT_CHAIN", "ChainHead", "ChainHeadError", "ChainTip"]

#: The name the audit log's tip has in a head.
AUDIT_CHAIN = "audit"

_HEX64 = re.compile(r"[0-9a-f]{64}")


class ChainHeadError(ValueError):
    """A head that cannot be read: not the shape ``ChainHead.to_dict`` writes."""


@dataclass(frozen=True, slots=True)
class ChainTip:
    """A chain's length and the hash of its last entry (length 0: empty, no hash)."""

    length: int
    hash: str | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return {"length": self.length, "hash": self.hash}

    @classmethod
    def from_dict(cls, data: Any, *, name: str) -> ChainTip:
        """Read a tip, refusing anything malformed with a message naming ``name``."""
        if not isinstance(data, Mapping):
            raise ChainHeadError(f"{name}: a tip is an object with 'length' and 'hash'")
        length, digest = data.get("length"), data.get("hash")
        if not isinstance(length, int) or isinstance(length, bool) or length < 0:
            raise ChainHeadError(f"{name}: 'length' must be a whole number ≥ 0")
        if (length == 0) != (digest is None):
            raise ChainHeadError(f"{name}: an empty chain has no hash; a non-empty one has one")
        if digest is not None and not (isinstance(digest, str) and _HEX64.fullmatch(digest)):
            raise ChainHeadError(f"{name}: 'hash' must be 64 lowercase hex digits")
        return cls(length, digest)


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The tips of the audit log and of every incident timeline at one moment."""

    taken_at: datetime
    audit: ChainTip
    timelines: Mapping[str, ChainTip] = field(default_factory=dict)
    mac: str | None = None

    def digest(self) -> str:
        """sha256 of the tips (not the time, not the MAC): equal heads have equal digests."""
        return hashlib.sha256(canonical_json(self._tips()).encode()).hexdigest()

    def signed(self, key: bytes) -> ChainHead:
        """This head with an HMAC-SHA256 of its digest and time under ``key``."""
        return replace(self, mac=self._mac(key))

    def mac_valid(self, key: bytes) -> bool:
        """True when the head carries a MAC and ``key`` made it."""
        return self.mac is not None and hmac.compare_digest(self.mac, self._mac(key))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy, with its digest for people to compare by eye."""
        return {
            "taken_at": self.taken_at.isoformat(),
            **self._tips(),
            "digest": self.digest(),
            "mac": self.mac,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ChainHead:
        """Read a head written by :meth:`to_dict`; :class:`ChainHeadError` if it is not one."""
        if not isinstance(data, Mapping) or not isinstance(data.get("timelines"), Mapping):
            raise ChainHeadError("a chain head is an object with 'audit' and 'timelines'")
        try:
            taken_at = datetime.fromisoformat(str(data.get("taken_at")))
        except ValueError:
            raise ChainHeadError("'taken_at' must be an ISO 8601 time") from None
        mac = data.get("mac")
        if mac is not None and not (isinstance(mac, str) and _HEX64.fullmatch(mac)):
            raise ChainHeadError("'mac' must be 64 lowercase hex digits or null")
        timelines = {
            str(key): ChainTip.from_dict(tip, name=f"timeline {key}")
            for key, tip in data["timelines"].items()
        }
        head = cls(
            taken_at, ChainTip.from_dict(data.get("audit"), name=AUDIT_CHAIN), timelines, mac
        )
        stated = data.get("digest")
        if stated is not None and stated != head.digest():
            raise ChainHeadError("'digest' does not match the tips: the head was edited")
        return head

    def _tips(self) -> dict[str, Any]:
        timelines = {key: tip.to_dict() for key, tip in sorted(self.timelines.items())}
        return {"audit": self.audit.to_dict(), "timelines": timelines}

    def _mac(self, key: bytes) -> str:
        message = f"{self.digest()}|{self.taken_at.isoformat()}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()
