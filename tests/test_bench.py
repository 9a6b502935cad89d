"""blitz.bench: argument handling and the report line (the full benchmark trains for minutes; not run here)."""
import pytest

from blitz.bench import format_row, main, run_recipe


def test_format_row_has_every_column():
    row = {"recipe": "fast", "train_s": 12.34, "images_per_s": 8100.0, "test_accuracy": 0.5812, "peak_mib": 1234.0}
    assert format_row(row).split() == ["fast", "12.3", "8,100", "58.1", "1,234"]


def test_unknown_recipe_is_refused():
    with pytest.raises(ValueError, match="unknown recipe"):
        run_recipe("resnet152")
    with pytest.raises(SystemExit):
        main(["cpu", "--recipe", "resnet152"])
    with pytest.raises(SystemExit):
        main([])
