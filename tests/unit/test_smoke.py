"""blitz.smoke: the switch between the full run and the tiny smoke run."""
import pytest

from blitz.smoke import ENV_VAR, scaled, smoke_mode


@pytest.mark.parametrize("value, expected", [
    ("1", True), ("true", True), ("YES", True), (" 1 ", True),
    ("0", False), ("", False), ("no", False), ("false", False),
])
def test_smoke_mode_reads_the_variable(monkeypatch, value, expected):
    monkeypatch.setenv(ENV_VAR, value)
    assert smoke_mode() is expected


def test_unset_means_full_run(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert smoke_mode() is False
    assert scaled(50_000, 500) == 50_000


def test_scaled_picks_tiny_in_smoke_mode(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "1")
    assert scaled(50_000, 500) == 500
