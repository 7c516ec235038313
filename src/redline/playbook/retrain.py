"""The retrain trigger: a command or a webhook that receives an incident's evidence and labels."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr, model_validator

from redline.playbook.fields import Duration, SecretUrl, Strict
from redline.playbook.problems import problem_error

__all__ = ["RetrainConfig"]


class RetrainConfig(Strict):
    """Where retraining is handed off: ``command`` (argv, no shell) or ``webhook`` — exactly one."""

    unknown_key: ClassVar[str] = "unknown retrain key '{name}'"
    command: list[str] | None = Field(default=None, min_length=1)
    webhook: SecretUrl | None = None
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    timeout_s: Duration = Field(default=600, gt=0)
    format: Literal["parquet", "csv"] = "parquet"
    directory: Path = Path("redline-retrain")

    @model_validator(mode="before")
    @classmethod
    def _one_target(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        given = [name for name in ("command", "webhook") if value.get(name)]
        if len(given) != 1:
            raise problem_error(
                "retrain needs exactly one of 'command' and 'webhook'"
                + (" (both are set)" if len(given) == 2 else ""),
                "give 'command: [python, retrain.py]' (run without a shell) or "
                "'webhook: https://…'",
            )
        command = value.get("command")
        if isinstance(command, list) and any(not str(part).strip() for part in command):
            raise problem_error("the retrain command has an empty argument", at=("command",))
        return value
