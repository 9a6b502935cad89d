"""Fixtures of the book tier: a report of what the notebook smoke test measured."""
from __future__ import annotations

import pytest

_REPORT: dict[str, str] = {}


@pytest.fixture(scope="session")
def smoke_report() -> dict[str, str]:
    """Notebook name -> one line (peak memory) printed at the end of the run."""
    return _REPORT


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _REPORT:
        terminalreporter.section("notebook smoke run (Colab-like venv, no GPU)")
        for name, line in sorted(_REPORT.items()):
            terminalreporter.write_line(f"{name}: {line}")
