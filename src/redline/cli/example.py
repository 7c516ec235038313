"""``redline example``: write a reference and a drifted current window as CSV files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from redline.cli.console import EXIT_OK

__all__ = ["example_command", "make_example"]

REGIONS = ["north", "south", "east", "west", "central"]
CHANNELS = ["web", "mobile", "branch", "partner"]


def make_example(n_reference: int, n_current: int, seed: int) -> tuple[Any, Any]:
    """A credit-application reference and a current window that drifted three ways.

    Income fell by half a standard deviation, the channel mix moved towards mobile, and a
    region code the model never saw ("unknown") appears in 8% of the rows.
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)

    def frame(n: int, drifted: bool) -> pd.DataFrame:
        log_income = rng.normal(10.8 - (0.5 * 0.45 if drifted else 0.0), 0.45, n)
        channel_p = [0.25, 0.55, 0.1, 0.1] if drifted else [0.45, 0.25, 0.2, 0.1]
        region = rng.choice(REGIONS, n, p=[0.3, 0.25, 0.2, 0.15, 0.1]).astype(object)
        if drifted:
            region[rng.random(n) < 0.08] = "unknown"
        age = rng.normal(41, 11, n).clip(18, 90).round()
        debt_ratio = rng.beta(2.0, 5.0, n)
        score = 1 / (1 + np.exp(-(0.8 * (log_income - 10.8) / 0.45 - 2.5 * (debt_ratio - 0.28))))
        return pd.DataFrame(
            {
                "income": np.exp(log_income).round(2),
                "age": age,
                "debt_ratio": debt_ratio.round(4),
                "region": region,
                "channel": rng.choice(CHANNELS, n, p=channel_p),
                "employed": rng.random(n) < 0.88,
                "score": score.round(4),
            }
        )

    return frame(n_reference, False), frame(n_current, True)


def example_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write into.")] = Path(
        "example"
    ),
    rows: Annotated[int, typer.Option(help="Reference rows.", min=100)] = 50_000,
    current_rows: Annotated[int, typer.Option(help="Current-window rows.", min=100)] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
) -> None:
    """Write example data: reference.csv and a drifted current.csv."""
    output.mkdir(parents=True, exist_ok=True)
    reference, current = make_example(rows, current_rows, seed)
    reference.to_csv(output / "reference.csv", index=False)
    current.to_csv(output / "current.csv", index=False)
    typer.echo(
        f"wrote {output / 'reference.csv'} ({rows} rows) and {output / 'current.csv'} "
        f"({current_rows} rows: income -0.5 sd, channel mix moved, 8% unseen regions)",
        err=True,
    )
    raise typer.Exit(EXIT_OK)
