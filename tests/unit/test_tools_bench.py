"""tools.bench: argument handling and the report lines (the full benchmark trains for minutes; not run here)."""
import pytest
import torch

from tools.bench import RECIPES, fast_report, format_row, main, run_fast, run_recipe
from blitz.fast import TARGET_ACCURACY, TARGET_SECONDS
from blitz.recipes import ORIGINAL


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


def test_gpu_benchmark_refuses_without_cuda(capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["gpu"]) == 2
    assert "needs a CUDA GPU" in capsys.readouterr().err
    with pytest.raises(RuntimeError, match="CUDA"):
        run_fast()
    with pytest.raises(ValueError, match="runs >= 1"):
        run_fast(runs=0, tiny=True)
    assert main(["gpu", "--tiny", "--epochs", "0"]) == 2


def test_gpu_benchmark_tiny_runs_and_reports(capsys, monkeypatch):
    """--tiny trains the real code path on the CPU, once per seed, and prints one line per run."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["gpu", "--tiny", "--runs", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("GPU benchmark: cpu")
    assert out[1].startswith("run 1:") and out[2].startswith("run 2:") and not out[3].startswith("run 3:")
    assert "(tiny run: the numbers mean nothing)" in out[-2]


def test_gpu_report_follows_the_numbers():
    """The mean, the spread and the verdict come from the runs, not from a flag."""
    good = {"tiny": False, "epochs": 10, "warm_up_s": 30.0, "peak_gpu_mib": 900.0, "source": "test",
            "train_s": [2.0, 2.2], "accuracy": [91.0, 90.6], "images_per_s": [1.0, 1.0]}
    report = fast_report(good)
    assert report[0].startswith("run 1:") and report[1].startswith("run 2:")
    assert "training: 2.100 ± 0.14 s; test accuracy: 90.80 ± 0.28 %" in report[2]
    assert report[-2] == f"target >= {TARGET_ACCURACY} % in <= {TARGET_SECONDS} s: met"
    assert fast_report({**good, "train_s": [3.5, 3.1]})[-2].endswith("NOT met")
    assert fast_report({**good, "accuracy": [90.0, 90.2]})[-2].endswith("NOT met")


def test_every_recipe_builds_its_model():
    for make_model, _ in RECIPES.values():
        assert make_model()(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    assert RECIPES["original"][1] == ORIGINAL


def test_peak_memory_reads_vmhwm(tmp_path):
    from tools.bench import peak_resident_mib

    status = tmp_path / "status"
    status.write_text("Name:\tpython\nVmPeak:\t 9999999 kB\nVmHWM:\t  524288 kB\nVmRSS:\t 1000 kB\n")
    assert peak_resident_mib(status) == 512.0


def test_peak_memory_is_the_childs_own():
    """A benchmark child must not report its parent's peak: ru_maxrss would (Linux keeps it across exec)."""
    import inspect
    import subprocess
    import sys
    from pathlib import Path

    from tools.bench import peak_resident_mib

    if not Path("/proc/self/status").exists():
        pytest.skip("needs Linux /proc")
    block = b"\x01" * 512 * 1024**2  # 512 MiB, written: the parent's resident peak is above it
    # the function's own source, run in a plain child (importing tools.bench would load torch: seconds)
    code = ("import re, resource, sys\nfrom pathlib import Path\n" + inspect.getsource(peak_resident_mib)
            + "print(peak_resident_mib(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    del block
    own, _maxrss = map(float, out.stdout.split())  # here ru_maxrss reads the parent's peak (> 512)
    assert 1 < own < 100, own  # a bare Python, not the parent's 512 MiB


def test_peak_memory_without_proc_falls_back_to_getrusage(tmp_path):
    from tools.bench import peak_resident_mib

    assert 1 < peak_resident_mib(tmp_path / "absent") < 1e6  # MiB, not KiB or bytes
