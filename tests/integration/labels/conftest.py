"""Labels fixtures: a Store inside the test's rolled-back transaction, windows, a fraud model."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

import redline
from redline.profiles.reference import Reference
from redline.store import Store


@pytest.fixture
def store(engine: Engine) -> Iterator[Store]:
    """A Store whose use cases commit into savepoints of one transaction rolled back at the end."""
    with engine.connect() as connection:
        transaction = connection.begin()
        opened = Store(engine)
        opened.sessions = sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield opened
        finally:
            transaction.rollback()


@pytest.fixture(scope="session")
def fraud_reference() -> Reference:
    """A fraud model with fraud recall 0.80 and accuracy 0.962 on its reference data."""
    truth = ["fraud"] * 200 + ["legit"] * 1_800
    predicted = ["fraud"] * 160 + ["legit"] * 40 + ["fraud"] * 36 + ["legit"] * 1_764
    amount = np.random.default_rng(5).lognormal(3, 1, 2_000)
    return redline.fit_reference(
        {"amount": amount, "is_fraud": truth, "predicted": predicted},
        target="is_fraud",
        prediction="predicted",
        window_sizes=[100, 1_000],
    )
