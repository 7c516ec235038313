"""Signal kinds by what they are evidence of: one vocabulary for severity, grouping and triage."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "DRIFT_KINDS",
    "GENERATION_KINDS",
    "INTEGRITY_KINDS",
    "KIND_FAMILY",
    "PIPELINE_KINDS",
    "RELATED_FAMILIES",
    "SHARE_INTEGRITY_KINDS",
    "SOURCE_KINDS",
    "Family",
    "family_of",
    "related",
]

#: Kinds whose agreement (two or more distinct kinds at once) is stronger evidence than either.
DRIFT_KINDS = frozenset({"feature_drift", "prediction_drift", "confidence_drop"})

#: Kinds the integrity monitor raises.
INTEGRITY_KINDS = frozenset(
    {
        "mapping_error",
        "missing_column",
        "null_jump",
        "out_of_range",
        "type_violation",
        "unseen_categories",
    }
)

#: Integrity kinds whose value is the share of rows affected (a fraction from 0 to 1).
SHARE_INTEGRITY_KINDS = frozenset({"missing_column", "null_jump", "out_of_range", "type_violation"})

#: Integrity kinds that point at broken code or data plumbing rather than a changing world.
#: New categories appear in the world too, so ``unseen_categories`` alone is not one.
PIPELINE_KINDS = INTEGRITY_KINDS - {"unseen_categories"}

#: A language model generating past its normal length or cost: answers stuck in a loop, or
#: completion tokens or cost per request far above the reference. Contained by capping tokens.
GENERATION_KINDS = frozenset({"generation_loop", "token_spike", "cost_spike"})

#: Kinds whose evidence names one offending traffic source (``evidence["source"]``): what a
#: ``block_source`` action triggered by them blocks.
SOURCE_KINDS = frozenset({"source_share", "prompt_injection"})


class Family(StrEnum):
    """What a signal is evidence about; incidents group related families only."""

    DRIFT = "drift"
    PERFORMANCE = "performance"
    INTEGRITY = "integrity"
    TRAFFIC = "traffic"
    RELEASE = "release"
    SERVING = "serving"
    PRIVACY = "privacy"
    SECURITY = "security"
    OTHER = "other"


#: Kind → family; a kind not listed is ``Family.OTHER``.
KIND_FAMILY: dict[str, Family] = {
    **dict.fromkeys(DRIFT_KINDS, Family.DRIFT),
    **dict.fromkeys(INTEGRITY_KINDS, Family.INTEGRITY),
    "performance_drop": Family.PERFORMANCE,
    "bias": Family.PERFORMANCE,
    "source_share": Family.TRAFFIC,
    "canary_failure": Family.RELEASE,
    "latency": Family.SERVING,
    "outage": Family.SERVING,
    "pii_leak": Family.PRIVACY,
    "canary_leak": Family.PRIVACY,
    "prompt_injection": Family.SECURITY,
    "toxic_output": Family.SECURITY,
    **dict.fromkeys(GENERATION_KINDS, Family.SERVING),
}

_D, _P, _I, _T, _R = (
    Family.DRIFT,
    Family.PERFORMANCE,
    Family.INTEGRITY,
    Family.TRAFFIC,
    Family.RELEASE,
)

#: Families that one cause commonly raises together, with the cause that links them:
#: a world that changed lowers performance; a pipeline bug (a unit change, a remapped category)
#: shows as drift and as integrity breaches at once; a flooding source or a broken client shifts
#: the inputs and breaks their ranges; a bad release fails its canaries, moves its outputs and
#: loses performance. Serving, privacy, security and outside alerts relate to nothing but
#: themselves.
RELATED_FAMILIES: frozenset[frozenset[Family]] = frozenset(
    frozenset(pair)
    for pair in (
        (_D, _P),
        (_D, _I),
        (_I, _P),
        (_T, _D),
        (_T, _I),
        (_R, _D),
        (_R, _P),
    )
)


def family_of(kind: str) -> Family:
    """The family a signal kind belongs to (``Family.OTHER`` when unknown)."""
    return KIND_FAMILY.get(kind, Family.OTHER)


def related(first: str, second: str) -> bool:
    """True when signals of these two kinds may belong to one incident."""
    a, b = family_of(first), family_of(second)
    if a is Family.OTHER or b is Family.OTHER:
        return first == second
    return a is b or frozenset({a, b}) in RELATED_FAMILIES
