"""The playbook in words: a Markdown runbook saying what fires, what happens, who is paged."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from redline.domain import ActionType, Severity
from redline.domain.actions import ACTION_SPECS
from redline.playbook.fields import format_duration
from redline.playbook.models import ModelConfig, Playbook
from redline.playbook.policy import ActionStep, RuleMatch, SeverityRule

__all__ = ["explain"]

#: What each action does, in words (``ActionSpec.summary``).
_ACTIONS: dict[ActionType, str] = {t: spec.summary for t, spec in ACTION_SPECS.items()}

_yes_no = {True: "yes", False: "no"}


def _either(items: Iterable[Any]) -> str:
    quoted = [f"`{item}`" for item in items]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _condition(match: RuleMatch) -> str:
    parts = []
    if match.kinds:
        parts.append(f"the signal kind is {_either(match.kinds)}")
    if match.levels:
        parts.append(f"its level is {_either(match.levels)}")
    if match.monitors:
        parts.append(f"it comes from monitor {_either(match.monitors)}")
    if match.columns:
        parts.append(f"it concerns column {_either(match.columns)}")
    if match.min_value is not None:
        parts.append(f"its value is at least {match.min_value:g}")
    return " and ".join(parts) or "any signal"


def _rule(number: int, rule: SeverityRule) -> str:
    paging = {True: " (this rule always pages)", False: " (this rule never pages)", None: ""}
    condition = _condition(rule.match)
    if condition == "any signal" and number > 1:
        condition = "any signal no earlier rule matched"
    if rule.actions is not None:  # its own action list says whether it pages
        return f"rule {number}: {condition} (with actions of its own, below)"
    return f"rule {number}: {condition}{paging[rule.page]}"


def _channels(playbook: Playbook, severity: Severity) -> str:
    channels = playbook.paged_channels(severity)
    if not channels:
        return f"no one yet (no notification channel listens to {severity})"
    return ", ".join(f"`{name}` ({c.label})" for name, c in channels.items())


def _paged(playbook: Playbook, severity: Severity) -> str:
    book = playbook.runbook(severity)
    text = _channels(playbook, severity) if book.page else "no one"
    numbered = enumerate(playbook.severity.rules, 1)
    for n, rule in numbered:
        if rule.severity == severity and rule.page is not None and rule.page != book.page:
            text += f"; for rule {n}: " + (_channels(playbook, severity) if rule.page else "no one")
    return text


def _action(step: ActionStep, model: ModelConfig, paged: str) -> str:
    fallback = (
        f"the fallback `{model.fallback}`"
        if model.fallback
        else "a safe response or a clear refusal (no fallback is configured)"
    )
    text = _ACTIONS[step.type].format(
        primary=model.primary, fallback=fallback, fail_mode=model.fail_mode, paged=paged
    )
    params = ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in step.params.items())
    return f"`{step.type}`: {text}" + (f" ({params})" if params else "")


def _severity(playbook: Playbook, model: ModelConfig, severity: Severity) -> list[str]:
    book = playbook.runbook(severity)
    rules = [
        _rule(n, r) for n, r in enumerate(playbook.severity.rules, 1) if r.severity == severity
    ]
    paged = _channels(playbook, severity)
    lines = [f"#### {severity}", ""]
    fires = "; or ".join(rules) if rules else "no rule sets this severity"
    lines.append(f"- **Fires when:** {fires}.")
    if book.actions:
        lines.append("- **Happens automatically, in order:**")
        lines += [f"  {i}. {_action(a, model, paged)}" for i, a in enumerate(book.actions, 1)]
    else:
        lines.append("- **Happens automatically:** nothing; the signal is logged and watched.")
    for n, rule in enumerate(playbook.severity.rules, 1):
        if rule.severity != severity or rule.actions is None:
            continue
        if not rule.actions:
            lines.append(f"- **Instead, for rule {n}:** nothing; the signal is logged and watched.")
            continue
        lines.append(f"- **Instead, for rule {n}, in order:**")
        lines += [f"  {i}. {_action(a, model, paged)}" for i, a in enumerate(rule.actions, 1)]
    lines.append(f"- **Paged:** {_paged(playbook, severity)}.")
    slas = [
        f"{verb} within {format_duration(seconds)}"
        for verb, seconds in (("acknowledge", book.ack_within), ("contain", book.contain_within))
        if seconds is not None
    ]
    lines.append(f"- **SLAs:** {', '.join(slas) if slas else 'none'}.")
    lines.append(f"- **Post-mortem:** {'required' if book.postmortem else 'not required'}.")
    return [*lines, ""]


def _watched(model: ModelConfig) -> list[str]:
    lines = ["### What is watched", "", f"Every window of {format_duration(model.window_s)}:", ""]
    lines += ["| Monitor | Settings |", "| --- | --- |"]
    settings = model.monitors.settings()
    for name, given in model.monitors.enabled().items():
        shown = ", ".join(f"`{k}={v}`" for k, v in given.items()) or "defaults"
        lines.append(f"| `{name}` | {shown} |")
    off = [name for name, s in settings.items() if not s.enabled]
    if off:
        lines += ["", f"Turned off: {', '.join(f'`{n}`' for n in off)}."]
    return [*lines, ""]


def _canaries(model: ModelConfig) -> list[str]:
    lines = ["### Canaries", ""]
    if not model.canaries:
        return [*lines, "None: containment is verified on route counts alone.", ""]
    for c in model.canaries:
        given = json.dumps(c.input, default=str, sort_keys=True)
        expected = json.dumps(c.expected, default=str)
        tolerance = f" ± {c.tolerance:g}" if c.tolerance else ""
        every = format_duration(c.every_s)
        lines.append(f"- `{c.name}` every {every}: `{given}` → `{expected}`{tolerance}")
    return [*lines, ""]


def _model(playbook: Playbook, name: str, model: ModelConfig) -> list[str]:
    lines = [f"## Model `{name}`", ""]
    lines.append(f"- **Reference:** `{model.reference}`")
    fallback = f"`{model.fallback}`" if model.fallback else "none"
    lines.append(f"- **Primary:** `{model.primary}`; **fallback:** {fallback}")
    if model.versions:
        lines.append(f"- **Versions:** {', '.join(f'`{v}`' for v in model.versions)}")
    lines += [f"- **Input filters fail:** {model.fail_mode}", ""]
    lines += _watched(model)
    lines += ["### At each severity", ""]
    for severity in Severity:
        lines += _severity(playbook, model, severity)
    return lines + _canaries(model)


def _shared(playbook: Playbook) -> list[str]:
    lines = ["## Notifications", ""]
    if not playbook.notifications:
        lines += ["No channels: incidents are recorded, nobody is paged.", ""]
    for name, channel in playbook.notifications.items():
        hears = ", ".join(str(s) for s in channel.severities)
        lines.append(f"- `{name}`: {channel.label}, for {hears}")
    review = playbook.review
    threshold = f"{review.threshold:g}" if review.threshold is not None else "none by default"
    lines += ["", "## Review queue", "", f"- **Confidence threshold:** {threshold}"]
    lines.append(f"- **While waiting, serve:** {review.serve}")
    lines.append(f"- **Decide within:** {format_duration(review.decide_within)}")
    reg = playbook.regulatory
    if reg is not None:
        lines += ["", "## Regulatory", "", f"- **AI system:** {reg.system_name} ({reg.provider})"]
        lines.append(
            f"- **Risk class:** {reg.risk_class}; EU AI Act applies: {_yes_no[reg.eu_ai_act]}"
        )
        lines.append("- Clocks are computed and shown, never submitted; not legal advice.")
    return [*lines, ""]


def explain(playbook: Playbook) -> str:
    """The playbook as Markdown: per model, what is watched and each severity's runbook."""
    lines = ["# Playbook", ""]
    lines.append(
        f"Severity policy version `{playbook.severity.version}`. Rules are tried in order; "
        "the first that matches a signal sets its severity. A signal no rule matches is "
        "stored and opens no incident."
    )
    lines.append("")
    for name, model in playbook.models.items():
        lines += _model(playbook, name, model)
    return "\n".join(lines + _shared(playbook)).rstrip() + "\n"
