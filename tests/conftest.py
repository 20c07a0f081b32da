"""Shared fixtures: a small generated sample, cleaned once per test session.

``sample_raw`` generates a small synthetic city (3 counties, 2022-2024) with the same
generator as ``make data``; ``sample_processed`` cleans it into core tables. Both are
session-scoped, so the pipeline runs once however many tests use them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SAMPLE_SEED = 20240901
SAMPLE_COUNTIES = 3
SAMPLE_YEARS = (2022, 2023, 2024)


@pytest.fixture(scope="session")
def sample_raw(tmp_path_factory) -> Path:
    """A small generated raw folder (synthetic bureau exports)."""
    from analysis.sample import generate_sample

    out = tmp_path_factory.mktemp("raw") / "sample"
    generate_sample(out, seed=SAMPLE_SEED, n_counties=SAMPLE_COUNTIES, years=SAMPLE_YEARS)
    return out


@pytest.fixture(scope="session")
def sample_processed(sample_raw, tmp_path_factory) -> Path:
    """The small sample cleaned into core_* and qa_* tables."""
    from analysis.clean import clean

    out = tmp_path_factory.mktemp("processed")
    clean(sample_raw, out)
    return out
