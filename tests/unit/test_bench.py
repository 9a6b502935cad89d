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


def test_gpu_benchmark_refuses_without_cuda(capsys, monkeypatch):
    import torch
    from blitz.bench import run_fast

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["gpu"]) == 2
    assert "needs a CUDA GPU" in capsys.readouterr().err
    with pytest.raises(RuntimeError, match="CUDA"):
        run_fast()
    with pytest.raises(ValueError, match="runs >= 1"):
        run_fast(runs=0, tiny=True)
    assert main(["gpu", "--tiny", "--epochs", "0"]) == 2


def test_gpu_benchmark_tiny_runs_and_reports(capsys, monkeypatch):
    """--tiny trains the real code path on the CPU; the report follows the runs it got."""
    import torch
    from blitz.bench import fast_report, run_fast
    from blitz.fast import TARGET_ACCURACY, TARGET_SECONDS

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    r = run_fast(runs=2, tiny=True)
    assert r["tiny"] and r["epochs"] == 1 and r["device"] == "cpu" and r["peak_gpu_mib"] is None
    assert len(r["train_s"]) == len(r["accuracy"]) == 2
    assert all(s > 0 for s in r["train_s"]) and all(0 <= a <= 100 for a in r["accuracy"])
    lines = fast_report(r)
    assert lines[0].startswith("run 1:") and lines[1].startswith("run 2:")
    assert "(tiny run: the numbers mean nothing)" in lines[-2]

    # the verdict and the mean come from the numbers, not from a flag
    good = {**r, "tiny": False, "train_s": [2.0, 2.2], "accuracy": [91.0, 90.6], "images_per_s": [1.0, 1.0]}
    report = fast_report(good)
    assert "training: 2.100 ± 0.14 s; test accuracy: 90.80 ± 0.28 %" in report[2]
    assert report[-2] == f"target >= {TARGET_ACCURACY} % in <= {TARGET_SECONDS} s: met"
    slow = {**good, "train_s": [3.5, 3.1]}
    assert fast_report(slow)[-2].endswith("NOT met")
    assert main(["gpu", "--tiny", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("GPU benchmark: cpu") and "run 1:" in out and "run 2:" not in out
