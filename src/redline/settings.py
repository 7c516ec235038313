"""Settings read from the environment (prefix ``REDLINE_``, ``__`` for nesting)."""

from __future__ import annotations

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["GuardSettings", "Settings", "StoreSettings", "get_settings"]


class StoreSettings(BaseModel):
    """Where windows, signals and incidents are kept."""

    url: str = Field(default="sqlite:///redline.db", description="SQLAlchemy URL of the store.")
    echo: bool = False


class GuardSettings(BaseModel):
    """Defaults for Guards created without explicit arguments."""

    window_s: float = Field(default=60.0, gt=0)
    buffer_rows: int = Field(default=4096, ge=16)


class Settings(BaseSettings):
    """All of redline's settings."""

    model_config = SettingsConfigDict(env_prefix="REDLINE_", env_nested_delimiter="__")

    store: StoreSettings = StoreSettings()
    guard: GuardSettings = GuardSettings()


def get_settings() -> Settings:
    """Read the settings from the environment now."""
    return Settings()
