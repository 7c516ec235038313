"""Checking the two hash chains: every incident timeline and the audit log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redline.domain.chain_head import AUDIT_CHAIN, ChainHead, ChainTip
from redline.domain.timeline import GENESIS, verify_chain
from redline.store import (
    AuditEntryRow,
    Session,
    Store,
    TimelineEventRow,
    get_last_audit_entry,
    list_audit,
    list_incidents,
    list_timeline,
)

__all__ = [
    "ChainBreak",
    "ChainReport",
    "chain_head_in",
    "first_broken_seq",
    "take_chain_head",
    "verify_chains",
]

#: Far more incidents than any store holds: ``verify_chains`` reads them all.
ALL_INCIDENTS = 1_000_000_000
AUDIT_PAGE = 1000


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first entry of a chain whose stored hashes do not seal it."""

    chain: str  # "timeline", "audit" or "head"
    seq: int
    incident_key: str | None = None
    #: "hash": fails its own seal; against a recorded head: "truncated", "rewritten",
    #: "missing" (the incident is gone), "mac" (the head's MAC does not match the key).
    problem: str = "hash"

    def describe(self) -> str:
        """One line naming the chain and the entry."""
        where = f"timeline of {self.incident_key}" if self.incident_key else "audit log"
        where = "chain head" if self.chain == "head" else where
        return f"{where}: " + _PROBLEMS[self.problem].format(seq=self.seq)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return {
            "chain": self.chain,
            "incident_key": self.incident_key,
            "seq": self.seq,
            "problem": self.problem,
        }


_PROBLEMS = {
    "hash": "entry {seq} fails the hash check (changed, removed or inserted later)",
    "truncated": "ends before entry {seq}, which the recorded head holds (entries were deleted)",
    "rewritten": "entry {seq} is not the one the recorded head holds (the chain was rebuilt)",
    "missing": "is gone, though the recorded head holds {seq} entries of it",
    "mac": "its MAC does not match the key (the head was forged or re-keyed)",
}


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


def _tip(rows: Sequence[TimelineEventRow | AuditEntryRow]) -> ChainTip:
    return ChainTip(rows[-1].seq, rows[-1].hash) if rows else ChainTip(0, None)


def _against(
    tip: ChainTip, hash_at: str | None, current: int, chain: str, key: str | None
) -> ChainBreak | None:
    """How a chain now of ``current`` entries departs from its recorded ``tip``, if it does."""
    if tip.length == 0:
        return None
    if current < tip.length:
        return ChainBreak(chain, tip.length, key, "truncated")
    return None if hash_at == tip.hash else ChainBreak(chain, tip.length, key, "rewritten")


def _audit_against(session: Session, tip: ChainTip) -> ChainBreak | None:
    last = get_last_audit_entry(session)
    entry = list_audit(session, after_seq=tip.length - 1, limit=1) if tip.length else []
    hash_at = entry[0].hash if entry and entry[0].seq == tip.length else None
    return _against(tip, hash_at, last.seq if last else 0, AUDIT_CHAIN, None)


def chain_head_in(session: Session, *, now: datetime) -> ChainHead:
    """The tip of the audit log and of every timeline, read in the caller's transaction."""
    timelines = {
        incident.key: _tip(list_timeline(session, incident_id=incident.id))
        for incident in list_incidents(session, limit=ALL_INCIDENTS)
    }
    last = get_last_audit_entry(session)
    audit = ChainTip(last.seq, last.hash) if last else ChainTip(0, None)
    return ChainHead(now, audit, timelines)


def take_chain_head(
    store: Store, *, key: bytes | None = None, now: datetime | None = None
) -> ChainHead:
    """The tip of the audit log and of every timeline now; signed when ``key`` is given."""
    with store.reading() as session:
        head = chain_head_in(session, now=now or datetime.now(UTC))
    return head.signed(key) if key is not None else head


def verify_chains(
    store: Store, *, head: ChainHead | None = None, key: bytes | None = None
) -> ChainReport:
    """Check every incident timeline and the audit log, oldest incident first; with a recorded
    ``head``, also that every chain still extends it (and, with ``key``, that its MAC holds)."""
    breaks: list[ChainBreak] = []
    if head is not None and key is not None and not head.mac_valid(key):
        breaks.append(ChainBreak("head", 0, None, "mac"))
    recorded = dict(head.timelines) if head is not None else {}
    entries = 0
    with store.reading() as session:
        incidents = list_incidents(session, limit=ALL_INCIDENTS)[::-1]
        for incident in incidents:
            rows = list_timeline(session, incident_id=incident.id)
            entries += len(rows)
            seq = first_broken_seq(rows)
            if seq is not None:
                breaks.append(ChainBreak("timeline", seq, incident.key))
            tip = recorded.pop(incident.key, None)
            if tip is not None:
                at = next((r.hash for r in rows if r.seq == tip.length), None)
                found = _against(tip, at, _tip(rows).length, "timeline", incident.key)
                breaks.extend([found] if found else [])
        breaks += [
            ChainBreak("timeline", tip.length, key_, "missing")
            for key_, tip in recorded.items()
            if tip.length
        ]
        audit_entries, audit_break = _verify_audit(session)
        if head is not None and audit_break is None:
            audit_break = _audit_against(session, head.audit)
    if audit_break is not None:
        breaks.append(audit_break)
    return ChainReport(len(incidents), entries, audit_entries, tuple(breaks))
