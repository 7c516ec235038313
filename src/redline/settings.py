"""Settings read from the environment (prefix ``REDLINE_``, ``__`` for nesting)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "ApiSettings",
    "ForensicsSettings",
    "GuardSettings",
    "Settings",
    "StoreSettings",
    "get_settings",
]


class StoreSettings(BaseModel):
    """Where windows, signals and incidents are kept."""

    url: str = Field(default="sqlite:///redline.db", description="SQLAlchemy URL of the store.")
    echo: bool = False


class GuardSettings(BaseModel):
    """Defaults for Guards created without explicit arguments."""

    window_s: float = Field(default=60.0, gt=0, description="Window length in seconds.")
    buffer_rows: int = Field(
        default=4096, ge=16, description="Rows the request path buffers before handing over."
    )
    spool_dir: str | None = Field(
        default=None,
        description="Where windows wait while the store or service is away (default: beside "
        "the SQLite file, else the temp directory).",
    )
    control_interval_s: float = Field(
        default=1.0, gt=0, description="Seconds between an embedded Guard's control-loop ticks."
    )
    route_stale_s: float = Field(
        default=30.0,
        gt=0,
        description="Seconds without an answer from the route source before a Guard warns "
        "that its route is stale.",
    )
    window_blocked_s: float = Field(
        default=30.0,
        gt=0,
        description="Seconds inside one window's close and hand-over before a Guard warns "
        "that its window thread is blocked.",
    )


class ApiSettings(BaseModel):
    """The REST API served by ``redline serve``."""

    host: str = Field(default="127.0.0.1", description="Interface to bind.")
    port: int = Field(default=8765, ge=0, le=65535, description="TCP port (0: any free port).")
    local_demo: bool = Field(
        default=False, description="Bind 127.0.0.1 only and print a one-time admin token."
    )
    session_max_age_s: int = Field(
        default=12 * 3600, gt=0, description="How long a dashboard login lasts."
    )
    metrics_public: bool = Field(default=False, description="Serve /metrics without a token.")
    max_body_bytes: int = Field(default=8 * 1024 * 1024, gt=0)
    route_wait_max_s: float = Field(default=60.0, gt=0, description="Longest route long-poll.")
    route_poll_s: float = Field(
        default=0.5, gt=0, description="How often a long-poll re-reads the store."
    )
    evaluate: Literal["auto", "inline", "worker"] = Field(
        default="auto",
        description="Respond to ingested windows in the request ('inline'), or only store "
        "them for `redline worker` processes to claim ('worker'); 'auto': store only while "
        "a worker's heartbeat says one is alive, else inline.",
    )
    playbook: str | None = Field(
        default=None,
        description="Playbook file the API responds with (windows, labels, alert receivers); "
        "default: the built-in policy.",
    )


class ForensicsSettings(BaseModel):
    """What a forensic snapshot captures beyond the store (``REDLINE_FORENSICS__...``)."""

    copy_artifacts: bool = Field(
        default=True, description="Keep a copy of the model artifact's bytes in the snapshot."
    )
    max_artifact_mb: float = Field(default=200.0, gt=0, description="Larger artifacts: hash only.")
    code_path: str | None = Field(
        default=None, description="Git working tree to record (default: the current directory)."
    )
    data_path: str | None = Field(
        default=None, description="Data folder whose DVC files or git commit name the data version."
    )
    data_version: str | None = Field(default=None, description="A data version you declare.")
    playbook: str | None = Field(default=None, description="Playbook file to record (redacted).")
    windows_before: int = Field(default=3, ge=0, le=100, description="Windows before the incident.")


class Settings(BaseSettings):
    """All of redline's settings."""

    model_config = SettingsConfigDict(env_prefix="REDLINE_", env_nested_delimiter="__")

    store: StoreSettings = StoreSettings()
    guard: GuardSettings = GuardSettings()
    api: ApiSettings = ApiSettings()
    forensics: ForensicsSettings = ForensicsSettings()


def get_settings() -> Settings:
    """Read the settings from the environment now."""
    return Settings()
