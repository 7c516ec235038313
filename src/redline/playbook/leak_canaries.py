"""The playbook's ``leak_canaries:`` section (canary token → where it is planted), added to by
``redline canary new`` without disturbing the rest of the file (comments and order stay)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping

from redline.playbook.loader import parse_playbook
from redline.playbook.models import Playbook
from redline.playbook.problems import PlaybookError, Problem

__all__ = ["with_leak_canary"]

_KEY = "leak_canaries"
_BLOCK = re.compile(rf"^{_KEY}:[ \t]*(#.*)?$")
_EMPTY_FLOW = re.compile(rf"^{_KEY}:[ \t]*\{{\s*\}}[ \t]*(#.*)?$")
_INDENT = re.compile(r"^([ \t]+)\S")


def with_leak_canary(
    text: str,
    token: str,
    where: str,
    *,
    source: str = "<string>",
    env: Mapping[str, str] = os.environ,
) -> tuple[str, Playbook]:
    """The playbook text with ``token: where`` in ``leak_canaries:``, and the playbook it parses
    to (PlaybookError when the result is not a valid playbook, or the section is not a block)."""
    lines = text.splitlines()
    entry = f"{token}: {json.dumps(where, ensure_ascii=False)}"
    at = next((i for i, line in enumerate(lines) if line.startswith(f"{_KEY}:")), None)
    if at is None:
        lines += ["", f"{_KEY}:", f"  {entry}"]
    elif _EMPTY_FLOW.match(lines[at]):
        lines[at : at + 1] = [f"{_KEY}:", f"  {entry}"]
    elif _BLOCK.match(lines[at]):
        lines.insert(_section_end(lines, at), f"{_indent_after(lines, at)}{entry}")
    else:
        problem = Problem(
            source,
            at + 1,
            1,
            f"'{_KEY}' is written on one line",
            f"write it as a block ('{_KEY}:' then one 'token: place' per line) and try again",
        )
        raise PlaybookError([problem])
    updated = "\n".join(lines) + "\n"
    playbook = parse_playbook(updated, source=source, env=env)
    return updated, playbook


def _indent_after(lines: list[str], at: int) -> str:
    """The indentation of the section's first entry (two spaces when it has none yet)."""
    for line in lines[at + 1 :]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _INDENT.match(line)
        return match.group(1) if match else "  "
    return "  "


def _section_end(lines: list[str], at: int) -> int:
    """The line after the section's last entry (new canaries go last, in the order made)."""
    end = at + 1
    for i in range(at + 1, len(lines)):
        if _INDENT.match(lines[i]):
            end = i + 1
        elif lines[i].strip() and not lines[i].lstrip().startswith("#"):
            break
    return end
