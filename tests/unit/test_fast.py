"""blitz.fast: the recipe's pieces on the CPU with synthetic data (no CIFAR-10 needed)."""
from dataclasses import replace

import pytest
import torch

from blitz import fast
from blitz.fast import FastConfig, FastData


def synthetic(n_train=512, n_test=200, seed=0):
    """Images whose brightness gives the class: learnable in a few steps, 10 classes."""
    g = torch.Generator().manual_seed(seed)

    def split(n):
        y = torch.randint(0, 10, (n,), generator=g)
        noise = torch.randint(0, 20, (n, 3, 32, 32), generator=g)
        return (y[:, None, None, None] * 22 + noise).to(torch.uint8), y

    tx, ty = split(n_train)
    ex, ey = split(n_test)
    mean = tx.float().mean(dim=(0, 2, 3), keepdim=True) / 255  # the 0..1 scale of blitz.batches.normalize
    std = tx.float().std(dim=(0, 2, 3), keepdim=True) / 255
    return FastData(tx, ty, ex, ey, mean, std, "synthetic")


SMALL = replace(fast.RECIPE, epochs=6, batch_size=32, widths=(8, 16, 16), compile=False, eval_batch_size=100,
                precision="fp32", warmup_epochs=1.0)


def test_training_lowers_the_loss_and_learns():
    data = synthetic(n_train=256)
    model = fast.build(SMALL, torch.device("cpu"))
    fast.reset(model, 0)  # the weights train() starts from
    with torch.no_grad():
        start = torch.nn.functional.cross_entropy(model(fast.prepare(data.train_x, data, True)), data.train_y)
    result = fast.train(model, data, SMALL, seed=0, eval_each_epoch=True)
    assert result.final_loss < start.item()
    assert result.accuracy > 30.0  # chance is 10 %
    assert result.steps == 6 * (256 // 32) and len(result.history) == 6
    assert [s for s, _ in result.history] == sorted(s for s, _ in result.history)


@pytest.mark.parametrize("data_mode, extra", [("loader", {}), ("gpu", {"flip": True, "translate": 2})])
def test_lenet_paths_and_max_steps(data_mode, extra):
    cfg = FastConfig(epochs=2, batch_size=16, lr=0.01, data=data_mode, max_steps=5, eval_batch_size=50, **extra)
    result = fast.train(fast.build(cfg, torch.device("cpu")), synthetic(n_train=128, n_test=50), cfg)
    assert result.steps == 5 and result.history == []


def test_reset_gives_the_same_weights_for_the_same_seed():
    model = fast.build(SMALL, torch.device("cpu"))
    fast.reset(model, 1)
    a = [p.clone() for p in model.parameters()]
    fast.reset(model, 2)
    assert not torch.equal(a[0], next(model.parameters()))
    fast.reset(model, 1)
    assert all(torch.equal(p, q) for p, q in zip(a, model.parameters()))


def test_tta_is_the_mean_of_the_logits_of_the_image_and_its_mirror():
    torch.manual_seed(0)
    model = fast.build(SMALL, torch.device("cpu")).eval()
    x = torch.randn(6, 3, 32, 32)
    with torch.no_grad():
        expected = (model(x) + model(torch.flip(x, dims=[3]))) / 2
        assert torch.allclose(fast.logits(model, x, tta=True), expected)
        assert torch.equal(fast.logits(model, x, tta=False), model(x))


def test_evaluate_counts_correct_predictions():
    data = synthetic(n_test=200)

    class Oracle(torch.nn.Module):  # knows the answers for the first half of the test set only
        def forward(self, x):
            return torch.zeros(len(x), 10)

    cfg = replace(SMALL, tta=False, precision="fp32", channels_last=False)
    zeros = (data.test_y == 0).float().mean().item() * 100  # argmax of all-zero logits is class 0
    assert fast.evaluate(Oracle(), data, cfg) == pytest.approx(zeros)


def test_time_to_target():
    history = [(1.0, 80.0), (2.0, 90.6), (3.0, 90.4), (4.0, 91.0)]
    assert fast.time_to(history, 90.5) == 2.0
    assert fast.time_to(history, 95.0) is None


@pytest.mark.parametrize("bad", [
    {"model": "resnet"}, {"precision": "fp8"}, {"epochs": 0}, {"lr": 0.0},
    {"label_smoothing": 1.0}, {"flip": True}, {"translate": -1},
])
def test_config_validation(bad):
    with pytest.raises(ValueError):
        FastConfig(**bad)


def test_batch_larger_than_the_data_is_refused():
    cfg = replace(SMALL, batch_size=1024)
    with pytest.raises(ValueError, match="batch_size"):
        fast.train(fast.build(cfg, torch.device("cpu")), synthetic(n_train=100), cfg)


@pytest.mark.parametrize("data_mode", ["loader", "gpu"])
def test_batches_are_shuffled_pairs_in_the_asked_layout(data_mode):
    data = synthetic(n_train=100)
    cfg = FastConfig(batch_size=32, data=data_mode, channels_last=True)
    gen = torch.Generator().manual_seed(0)
    loader = fast._loader(data, cfg, 0) if data_mode == "loader" else None
    got = list(fast.batches(data, cfg, gen, loader))
    assert len(got) == 100 // 32  # the last partial batch is dropped
    reference = fast.prepare(data.train_x, data, False)
    for x, y in got:
        assert x.shape == (32, 3, 32, 32) and x.dtype == torch.float32
        assert x.is_contiguous(memory_format=torch.channels_last)
        for image, label in zip(x, y):  # every image still carries its own label
            k = int(((reference - image).abs().amax(dim=(1, 2, 3)) < 1e-5).nonzero()[0])
            assert label == data.train_y[k]
    seen = torch.cat([y for _, y in got])
    assert not torch.equal(seen, data.train_y[:len(seen)])  # shuffled



def test_prepare_standardises_each_channel():
    data = synthetic(n_train=256)
    x = fast.prepare(data.train_x, data, channels_last=True)
    assert x.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(x.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-4)
    assert torch.allclose(x.std(dim=(0, 2, 3)), torch.ones(3), atol=1e-4)


@pytest.mark.parametrize("capability, expected", [((7, 5), "fp16"), ((7, 0), "fp16"), ((8, 0), "bf16"), ((9, 0), "bf16")])
def test_half_precision_follows_the_compute_capability(monkeypatch, capability, expected):
    """A T4 (7.5) has no bfloat16 Tensor Cores: fp16 with a GradScaler there; bf16 from 8.0 on."""
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    assert fast.half_precision(torch.device("cuda")) == expected
    assert fast.half_precision(torch.device("cpu")) == "fp32"


def test_fp16_runs_through_train_with_its_gradient_scaler():
    """The T4 path: float16 autocast and a GradScaler (run here on the CPU, which has both)."""
    cfg = replace(SMALL, precision="fp16", epochs=1, max_steps=3)
    result = fast.train(fast.build(cfg, torch.device("cpu")), synthetic(), cfg, seed=0)
    assert result.steps == 3 and torch.isfinite(torch.tensor(result.final_loss))
