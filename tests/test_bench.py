"""blitz.bench: argument handling and the report line (the full benchmark trains for minutes; not run here)."""
import pytest

from blitz.bench import format_row, main, run_recipe, seconds_per_step


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


def test_seconds_per_step_times_any_batches():
    import torch
    from blitz.train import shuffled_batches

    x, y = torch.randn(40, 3, 32, 32), torch.randint(0, 10, (40,))
    threads = torch.get_num_threads()
    assert seconds_per_step(shuffled_batches(x, y, 4), steps=5, warmup=2) > 0
    assert torch.get_num_threads() == threads
    with pytest.raises(ValueError, match="ran out"):
        seconds_per_step(shuffled_batches(x, y, 4), steps=20)
    with pytest.raises(ValueError):
        seconds_per_step([], steps=0)


def test_shuffled_batches_cover_every_example_once():
    import torch
    from blitz.train import shuffled_batches

    x, y = torch.arange(10.0).reshape(10, 1, 1, 1), torch.arange(10)
    batches = list(shuffled_batches(x, y, 4, torch.Generator().manual_seed(0)))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    seen = torch.cat([b[1] for b in batches])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    assert all(torch.equal(b[0].flatten(), b[1].float()) for b in batches)  # images stay with labels
    with pytest.raises(ValueError):
        list(shuffled_batches(x, y[:3], 4))
