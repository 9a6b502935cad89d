"""blitz.timing: the stopwatch, the SGD step and seconds per step (on the CPU)."""
import time

import pytest
import torch

from blitz.batches import shuffled_batches
from blitz.lenet import LeNet
from blitz.timing import Stopwatch, interleaved, seconds_per_step, sgd_step, synchronize


def test_stopwatch_measures_the_time_since_start():
    clock = Stopwatch("cpu")
    with pytest.raises(RuntimeError, match="before start"):
        clock.stop()
    clock.start()
    time.sleep(0.05)
    first = clock.stop()
    time.sleep(0.02)
    assert first >= 0.05 and clock.stop() >= first + 0.02  # stop() may be read again


def test_synchronize_refuses_unknown_devices():
    synchronize("cpu")  # nothing queued on a CPU: returns
    with pytest.raises(ValueError, match="cuda, mps and cpu"):
        synchronize("meta")


def test_sgd_step_is_one_step_of_sgd():
    torch.manual_seed(0)
    model, x, y = LeNet(3), torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,))
    reference = LeNet(3)
    reference.load_state_dict(model.state_dict())
    loss = sgd_step(model, torch.optim.SGD(model.parameters(), lr=0.1), x, y)
    expected = torch.nn.functional.cross_entropy(reference(x), y)
    expected.backward()
    assert loss.item() == pytest.approx(expected.item())
    for p, q in zip(model.parameters(), reference.parameters()):
        assert torch.allclose(p, q - 0.1 * q.grad)


def test_seconds_per_step_times_the_steps_it_is_given():
    x, y = torch.randn(40, 3, 32, 32), torch.randint(0, 10, (40,))
    threads = torch.get_num_threads()
    seen = []

    def counted(batches):
        for batch in batches:
            seen.append(1)
            yield batch

    seconds_per_step(LeNet(3), counted(shuffled_batches(x, y, 4)), steps=5, warmup=2, threads=1)
    assert len(seen) == 7  # warm-up steps, then the timed ones
    assert torch.get_num_threads() == threads  # restored
    with pytest.raises(ValueError, match="ran out"):
        seconds_per_step(LeNet(3), shuffled_batches(x, y, 4), steps=20)
    with pytest.raises(ValueError):
        seconds_per_step(LeNet(3), [], steps=0)


def test_interleaved_takes_turns_and_returns_medians():
    calls = []
    samples = {"a": iter([3.0, 1.0, 2.0]), "b": iter([10.0, 30.0, 20.0])}

    def measure(key):
        def run():
            calls.append(key)
            return next(samples[key])
        return run

    medians = interleaved({"a": measure("a"), "b": measure("b")}, repeats=3)
    assert calls == ["a", "b", "a", "b", "a", "b"]  # A, B, A, B, ..., not A, A, A, B, B, B
    assert medians == {"a": 2.0, "b": 20.0}
    with pytest.raises(ValueError, match="repeats"):
        interleaved({"a": measure("a")}, repeats=0)
