"""Monitor overrides, validated against each registered monitor's constructor signature."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, create_model, model_validator

from redline.monitors.base import Monitor
from redline.monitors.registry import REGISTRY
from redline.playbook.fields import Strict

__all__ = ["MonitorSettings", "MonitorsBase", "MonitorsConfig"]


class MonitorSettings(Strict):
    """Base of the settings model generated for each monitor: its keyword arguments + enabled."""

    monitor: ClassVar[str] = ""
    enabled: bool = True

    def overrides(self) -> dict[str, Any]:
        """The settings the playbook gave explicitly (constructor keyword arguments)."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set - {"enabled"})}


class MonitorsBase(Strict):
    """Every registered monitor, on by default; ``name: false`` turns one off."""

    unknown_key: ClassVar[str] = "unknown monitor '{name}'"

    @model_validator(mode="before")
    @classmethod
    def _switches(cls, value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, dict):
            return value
        return {
            name: {"enabled": v is not False} if v is None or isinstance(v, bool) else v
            for name, v in value.items()
        }

    def settings(self) -> dict[str, MonitorSettings]:
        """Each registered monitor's validated settings, enabled or not."""
        return {name: getattr(self, name) for name in REGISTRY}

    def enabled(self) -> dict[str, dict[str, Any]]:
        """Enabled monitors and their overrides, ready for ``MonitorSuite(reference, config)``."""
        return {n: s.overrides() for n, s in self.settings().items() if s.enabled}


def _field(param: inspect.Parameter) -> tuple[Any, Any]:
    """A constructor parameter as a pydantic field: unknown annotations accept anything."""
    known = param.annotation is not inspect.Parameter.empty and not isinstance(
        param.annotation, str
    )
    required = param.default is inspect.Parameter.empty
    return (param.annotation if known else Any, ... if required else param.default)


def _settings_model(name: str, cls: type[Monitor]) -> type[MonitorSettings]:
    try:
        signature = inspect.signature(cls.__init__, eval_str=True)
    except NameError:  # an annotation only importable while type checking
        signature = inspect.signature(cls.__init__)
    params = list(signature.parameters.values())[2:]
    fields: dict[str, Any] = {
        p.name: _field(p) for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY
    }
    camel = "".join(part.title() for part in name.split("_"))
    model = create_model(f"{camel}Settings", __base__=MonitorSettings, **fields)
    model.monitor = name
    model.unknown_key = f"unknown setting '{{name}}' for monitor '{name}'"
    return model


def _monitors_model() -> type[MonitorsBase]:
    fields: dict[str, Any] = {}
    for name, cls in REGISTRY.items():
        settings = _settings_model(name, cls)
        fields[name] = (settings, Field(default_factory=settings))
    return create_model("MonitorsConfig", __base__=MonitorsBase, **fields)


if TYPE_CHECKING:
    MonitorsConfig = MonitorsBase
else:
    MonitorsConfig = _monitors_model()
