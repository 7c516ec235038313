"""Checking the two hash chains: every incident timeline and the audit log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from redline.domain.timeline import GENESIS, verify_chain
from redline.store import (
    AuditEntryRow,
    Session,
    Store,
    TimelineEventRow,
    list_audit,
    list_incidents,
    list_timeline,
)

__all__ = ["ChainBreak", "ChainReport", "first_broken_seq", "verify_chains"]

#: Far more incidents than any store holds: ``verify_chains`` reads them all.
ALL_INCIDENTS = 1_000_000_000
AUDIT_PAGE = 1000


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first entry of a chain whose stored hashes do not seal it."""

    chain: str  # "timeline" or "audit"
    seq: int
    incident_key: str | None = None

    def describe(self) -> str:
        """One line naming the chain and the entry."""
        where = f"timeline of {self.incident_key}" if self.incident_key else "audit log"
        return (
            f"{where}: entry {self.seq} fails the hash check (changed, removed or inserted later)"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return {"chain": self.chain, "incident_key": self.incident_key, "seq": self.seq}


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What ``verify_chains`` read, and the first break of each broken chain."""

    timelines: int
    timeline_entries: int
    audit_entries: int
    breaks: tuple[ChainBreak, ...]

    @property
    def intact(self) -> bool:
        """True when no chain is broken."""
        return not self.breaks

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return {
            "intact": self.intact,
            "timelines": self.timelines,
            "timeline_entries": self.timeline_entries,
            "audit_entries": self.audit_entries,
            "breaks": [b.to_dict() for b in self.breaks],
        }


def _timeline_payload(row: TimelineEventRow) -> dict[str, Any]:
    # The payload redline.services.chains.record_event hashes.
    return {"at": row.at, "actor": row.actor, "kind": row.kind, "details": row.details}


def _audit_payload(row: AuditEntryRow) -> dict[str, Any]:
    # The payload redline.services.chains.record_audit hashes.
    return {
        "at": row.at,
        "actor": row.actor,
        "action": row.action,
        "target": row.target,
        "details": row.details,
    }


def _first_break(
    entries: Sequence[tuple[Mapping[str, Any], str, str, int]], start: str
) -> int | None:
    """The seq of the first entry not sealed by its hash or not linked to the one before."""
    bad = verify_chain([(payload, digest) for payload, digest, _, _ in entries], start)
    previous = start
    for index, (_, digest, prev_hash, seq) in enumerate(entries):
        if index == bad or prev_hash != previous:
            return seq
        previous = digest
    return None


def first_broken_seq(rows: Sequence[TimelineEventRow]) -> int | None:
    """The seq of the first timeline event that fails the chain check, or None if intact."""
    entries = [(_timeline_payload(r), r.hash, r.prev_hash, r.seq) for r in rows]
    return _first_break(entries, GENESIS)


def _verify_audit(session: Session) -> tuple[int, ChainBreak | None]:
    count, after, previous = 0, 0, GENESIS
    while page := list_audit(session, after_seq=after, limit=AUDIT_PAGE):
        entries = [(_audit_payload(r), r.hash, r.prev_hash, r.seq) for r in page]
        broken = _first_break(entries, previous)
        if broken is not None:
            return count + len(page), ChainBreak("audit", broken)
        count += len(page)
        after, previous = page[-1].seq, page[-1].hash
    return count, None


def verify_chains(store: Store) -> ChainReport:
    """Check every incident timeline and the audit log, oldest incident first."""
    breaks: list[ChainBreak] = []
    entries = 0
    with store.session() as session:
        incidents = list_incidents(session, limit=ALL_INCIDENTS)[::-1]
        for incident in incidents:
            rows = list_timeline(session, incident_id=incident.id)
            entries += len(rows)
            seq = first_broken_seq(rows)
            if seq is not None:
                breaks.append(ChainBreak("timeline", seq, incident.key))
        audit_entries, audit_break = _verify_audit(session)
    if audit_break is not None:
        breaks.append(audit_break)
    return ChainReport(len(incidents), entries, audit_entries, tuple(breaks))
