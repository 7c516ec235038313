"""The runner: probes against a target on a bounded thread pool, with a query budget and retries."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import resources

from redline.redteam.attempts import Attempt, AttemptStatus
from redline.redteam.detectors import DETECTOR_FUNCTIONS, Detection, DetectionContext, pii_detector
from redline.redteam.probes import Probe
from redline.redteam.targets import Messages, Target, TargetError, TransientTargetError
from redline.scanners.canary import new_canary

__all__ = ["QueryBudget", "RunSettings", "default_system_prompt", "run_probes"]

CANARY_PLACE = "system prompt"
_DOCUMENT = "Retrieved document:\n<document>\n{document}\n</document>\n\n{prompt}"


def default_system_prompt() -> str:
    """The system prompt of redline's corpus: a bank assistant with notes it must keep to itself."""
    data = resources.files("redline.redteam").joinpath("data/system_prompt.txt")
    return data.read_text("utf-8").strip()


@dataclass(frozen=True, slots=True)
class RunSettings:
    """How a run goes: pool size, query budget (target calls, retries included), retries, backoff."""

    concurrency: int = 4
    max_queries: int | None = None
    retries: int = 2
    backoff_s: float = 0.5
    system_prompt: str | None = None

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.retries < 0 or self.backoff_s < 0:
            raise ValueError("concurrency must be ≥ 1, retries and backoff_s ≥ 0")
        if self.max_queries is not None and self.max_queries < 1:
            raise ValueError("max_queries must be ≥ 1 (or None for no budget)")


class QueryBudget:
    """A thread-safe count of target calls left (None: unlimited)."""

    def __init__(self, max_queries: int | None) -> None:
        self.left = max_queries
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Use one call; False when the budget is spent."""
        with self._lock:
            if self.left is None:
                return True
            if self.left <= 0:
                return False
            self.left -= 1
            return True


class _BudgetSpentError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class _Run:
    run_id: str
    target: Target
    settings: RunSettings
    system_prompt: str
    budget: QueryBudget
    detectors: Mapping[str, Callable[[str, DetectionContext], Detection]]
    sleep: Callable[[float], None]

    def call(self, messages: Messages, spent: list[int]) -> str:
        """Ask the target, retrying transient failures with backoff; ``spent[0]`` counts calls."""
        for attempt in range(self.settings.retries + 1):
            if not self.budget.take():
                raise _BudgetSpentError
            spent[0] += 1
            try:
                return self.target(messages)
            except TransientTargetError as exc:
                if attempt == self.settings.retries:
                    raise TargetError(f"{exc} (after {attempt + 1} calls)") from exc
                wait_s = self.settings.backoff_s * 2**attempt
                self.sleep(exc.retry_after_s if exc.retry_after_s is not None else wait_s)
        raise AssertionError("unreachable: the loop returns or raises")

    def attempt(self, probe: Probe) -> Attempt:
        """Run one probe: plant a fresh canary, send its turns, judge the last answer."""
        canary = new_canary(CANARY_PLACE)
        system = f"{self.system_prompt}\nInternal reference code (confidential): {canary}"
        messages: Messages = [{"role": "system", "content": system}]
        started, spent, answer = time.perf_counter(), [0], ""
        base = Attempt(
            run_id=self.run_id, target=self.target.name, probe_id=probe.id, family=probe.family,
            detector=probe.detector, expected=probe.expected, status="skipped", success=None,
            evidence="",
        )  # fmt: skip
        try:
            for index, turn in enumerate(probe.turns):
                document = probe.document if index == 0 else None
                text = _DOCUMENT.format(document=document, prompt=turn) if document else turn
                messages.append({"role": "user", "content": text})
                answer = self.call(messages, spent)
                messages.append({"role": "assistant", "content": answer})
        except (_BudgetSpentError, TargetError) as exc:
            status: AttemptStatus = "skipped" if isinstance(exc, _BudgetSpentError) else "error"
            why = "query budget spent" if status == "skipped" else str(exc)
            return replace(base, status=status, evidence=why, calls=spent[0],
                           transcript=messages[1:], at=_now())  # fmt: skip
        context = DetectionContext(probe, system, {canary: CANARY_PLACE})
        verdict = self.detectors[probe.detector](answer, context)
        latency_ms = (time.perf_counter() - started) * 1000
        return replace(base, status="ok", success=verdict.success, evidence=verdict.evidence,
                       answer=answer, transcript=messages[1:], calls=spent[0],
                       latency_ms=round(latency_ms, 3), at=_now())  # fmt: skip


def _now() -> str:
    return datetime.now(UTC).isoformat()


def run_probes(
    probes: Sequence[Probe],
    target: Target,
    *,
    settings: RunSettings | None = None,
    sink: Callable[[Attempt], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Attempt]:
    """Run every probe against ``target``; each attempt goes to ``sink`` as soon as it ends."""
    settings = settings or RunSettings()
    detectors = dict(DETECTOR_FUNCTIONS)
    if any(p.detector == "pii" for p in probes):
        detectors["pii"] = pii_detector()
    run = _Run(
        run_id=uuid.uuid4().hex[:12],
        target=target,
        settings=settings,
        system_prompt=settings.system_prompt or default_system_prompt(),
        budget=QueryBudget(settings.max_queries),
        detectors=detectors,
        sleep=sleep,
    )
    lock = threading.Lock()

    def one(probe: Probe) -> Attempt:
        result = run.attempt(probe)
        if sink is not None:
            with lock:
                sink(result)
        return result

    with ThreadPoolExecutor(settings.concurrency, thread_name_prefix="redteam") as pool:
        return list(pool.map(one, probes))
