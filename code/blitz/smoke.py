"""Smoke mode: run a chapter at a tiny scale to check that it works.

The notebook smoke test (tests/test_notebook_smoke.py) and a reader without a
GPU set ``BLITZ_SMOKE=1`` so that a chapter trains on a few hundred images for
one epoch instead of the full recipe. The book build never sets it: every
number on a page comes from the full run.

Introduced for the notebooks of every chapter; see the README.
"""
from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")

#: The environment variable that switches smoke mode on ("1", "true", "yes").
ENV_VAR = "BLITZ_SMOKE"


def smoke_mode() -> bool:
    """Return True when ``BLITZ_SMOKE`` asks for a tiny, quick run."""
    return os.environ.get(ENV_VAR, "").strip().lower() in {"1", "true", "yes"}


def scaled(full: T, tiny: T) -> T:
    """Return ``tiny`` in smoke mode and ``full`` otherwise.

    A chapter writes ``epochs = scaled(2, 1)`` so that the same cell serves
    both the book build and the smoke test.
    """
    return tiny if smoke_mode() else full
