"""blitz.train, blitz.metrics, blitz.cnn, blitz.figures: training on tensors in memory."""
from __future__ import annotations

import matplotlib
import pytest
import torch
from torch import nn

from blitz.batches import normalize, shuffled_batches
from blitz.cnn import SmallCNN, conv_bn
from blitz.figures import confusion_figure, image_grid, loss_curve
from blitz.lenet import LeNet
from blitz.metrics import accuracy, confusion_matrix, per_class_accuracy
from blitz.timing import seconds_per_step
from blitz.train import Recipe, load_weights, make_optimizer, predict, save_weights, train

matplotlib.use("Agg")


def _data(n: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 32, 32, generator=g), torch.randint(0, 10, (n,), generator=g)


# --- Recipe and training ---------------------------------------------------

def test_recipe_defaults_are_the_original():
    r = Recipe()
    assert (r.batch_size, r.lr, r.momentum, r.epochs, r.log_every) == (4, 0.001, 0.9, 2, 2000)


@pytest.mark.parametrize("kwargs", [{"batch_size": 0}, {"lr": 0.0}, {"momentum": 1.0},
                                    {"schedule": "cosine"}, {"epochs": 1.5}, {"threads": 0}])
def test_recipe_rejects_bad_values(kwargs):
    with pytest.raises(ValueError):
        Recipe(**kwargs)


def test_one_step_lowers_the_loss_on_a_fixed_batch():
    torch.manual_seed(0)
    model, (x, y) = LeNet(3), _data(16)
    optimizer, _ = make_optimizer(model, Recipe(lr=0.01), steps=1)
    before = nn.functional.cross_entropy(model(x), y)
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    after = nn.functional.cross_entropy(model(x), y)
    assert after.item() < before.item()


def test_the_optimizer_keeps_momentum_across_steps():
    model = LeNet(3)
    optimizer, _ = make_optimizer(model, Recipe(), steps=2)
    x, y = _data(4)
    for _ in range(2):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    assert all("momentum_buffer" in optimizer.state[p] for p in model.parameters())


def test_same_seed_same_losses():
    x, y = _data(48)
    recipe = Recipe(batch_size=8, epochs=2, lr=0.01, seed=3)
    runs = []
    for _ in range(2):
        torch.manual_seed(1)
        runs.append(train(LeNet(3), x, y, recipe).losses)
    assert runs[0] == runs[1]
    assert len(runs[0]) == 2 * 6  # 48 / 8 steps per epoch, 2 epochs
    torch.manual_seed(1)
    other = train(LeNet(3), x, y, Recipe(batch_size=8, epochs=2, lr=0.01, seed=4)).losses
    assert other != runs[0]  # a different seed shuffles differently


def test_train_calls_progress_with_running_means_and_learns():
    x, y = _data(32)
    calls = []
    torch.manual_seed(0)
    result = train(LeNet(3), x, y, Recipe(batch_size=4, epochs=3, lr=0.01, log_every=4),
                   progress=lambda e, s, loss: calls.append((e, s, loss)))
    assert [(e, s) for e, s, _ in calls] == [(e, s) for e in (1, 2, 3) for s in (4, 8)]
    assert calls[0][2] == pytest.approx(sum(result.losses[:4]) / 4)
    assert result.seconds > 0 and result.images_per_s > 0
    assert sum(result.losses[-8:]) < sum(result.losses[:8])  # it memorises 32 random images


def test_uint8_images_train_exactly_like_their_normalised_floats():
    """train() normalises each uint8 batch: the same losses as on the normalised data set, bit for bit."""
    g = torch.Generator().manual_seed(0)
    pixels = torch.randint(0, 256, (24, 3, 32, 32), dtype=torch.uint8, generator=g)
    y = torch.randint(0, 10, (24,), generator=g)
    for recipe in (Recipe(batch_size=8, epochs=2, lr=0.01), Recipe(batch_size=8, epochs=1, lr=0.05, augment=True)):
        runs = []
        for images in (pixels, normalize(pixels)):
            torch.manual_seed(1)
            runs.append(train(SmallCNN((4, 8, 8)) if recipe.augment else LeNet(3), images, y, recipe).losses)
        assert runs[0] == runs[1]


def test_seconds_per_step_takes_uint8_batches():
    pixels = torch.randint(0, 256, (16, 3, 32, 32), dtype=torch.uint8)
    y = torch.randint(0, 10, (16,))
    assert seconds_per_step(LeNet(3), shuffled_batches(pixels, y, 4), steps=2, warmup=1) > 0


def test_train_restores_thread_count():
    threads = torch.get_num_threads()
    x, y = _data(8)
    train(LeNet(3), x, y, Recipe(batch_size=4, epochs=1, threads=1))
    assert torch.get_num_threads() == threads


def test_train_with_augmentation_and_onecycle_runs():
    x, y = _data(16)
    recipe = Recipe(batch_size=8, epochs=2, lr=0.05, schedule="onecycle", augment=True)
    assert len(train(SmallCNN((4, 8, 8)), x, y, recipe).losses) == 4


@pytest.mark.parametrize("images, labels, error", [
    (torch.zeros(4, 3, 32, 32, dtype=torch.int32), torch.zeros(4, dtype=torch.int64), TypeError),
    (torch.zeros(4, 3, 32, 32), torch.zeros(3, dtype=torch.int64), ValueError),
    (torch.zeros(4, 3, 32, 32), torch.zeros(4), TypeError),
    (torch.zeros(3, 32, 32), torch.zeros(4, dtype=torch.int64), ValueError),
])
def test_train_rejects_bad_input(images, labels, error):
    with pytest.raises(error):
        train(LeNet(3), images, labels, Recipe())


def test_predict_covers_every_image_in_eval_mode():
    model, (x, _) = SmallCNN((4, 8, 8)), _data(23)
    model.train()
    predictions = predict(model, x, batch_size=5)
    assert predictions.shape == (23,) and predictions.dtype == torch.int64
    assert not model.training
    assert torch.equal(predictions, model(x).argmax(1))
    assert predict(model, x[:0]).shape == (0,)
    with pytest.raises(ValueError):
        predict(model, x, batch_size=0)


# --- saving and loading ----------------------------------------------------

def test_save_and_load_round_trip_exactly(tmp_path):
    torch.manual_seed(0)
    saved, fresh = SmallCNN((4, 8, 8)), SmallCNN((4, 8, 8))
    path = save_weights(saved, tmp_path / "w.pt")
    load_weights(fresh, path)
    a, b = saved.state_dict(), fresh.state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)  # includes BatchNorm's running statistics


def test_load_refuses_arbitrary_pickles_and_wrong_shapes(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"weight": Recipe()}, path)  # an arbitrary Python object, not just tensors
    with pytest.raises(Exception, match="[Ww]eights only"):
        load_weights(LeNet(3), path)
    save_weights(LeNet(1), tmp_path / "one_channel.pt")
    with pytest.raises(RuntimeError):
        load_weights(LeNet(3), tmp_path / "one_channel.pt")
    with pytest.raises(FileNotFoundError):
        load_weights(LeNet(3), tmp_path / "missing.pt")
    with pytest.raises(TypeError):
        save_weights("not a model", tmp_path / "x.pt")


# --- metrics -----------------------------------------------------------------

def test_confusion_matrix_and_per_class_accuracy_match_a_hand_count():
    labels = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2])
    predictions = torch.tensor([0, 1, 0, 1, 1, 0, 2, 1, 2])
    # by hand: class 0: 2 of 3 right (one taken for 1); class 1: 2 of 2; class 2: 2 of 4
    expected = torch.tensor([[2, 1, 0], [0, 2, 0], [1, 1, 2]])
    matrix = confusion_matrix(labels, predictions, num_classes=3)
    assert torch.equal(matrix, expected)
    assert per_class_accuracy(matrix).tolist() == [2 / 3, 1.0, 0.5]
    assert accuracy(matrix) == 6 / 9


def test_per_class_accuracy_of_an_absent_class_is_nan():
    matrix = confusion_matrix(torch.tensor([0, 0, 1]), torch.tensor([0, 1, 0]), num_classes=3)
    result = per_class_accuracy(matrix)
    assert result[0] == 0.5 and result[1] == 0 and torch.isnan(result[2])


@pytest.mark.parametrize("labels, predictions, k, error", [
    (torch.tensor([0, 1]), torch.tensor([0]), 2, ValueError),
    (torch.tensor([0, 2]), torch.tensor([0, 1]), 2, ValueError),
    (torch.tensor([0.0, 1.0]), torch.tensor([0, 1]), 2, TypeError),
    (torch.tensor([[0, 1]]), torch.tensor([[0, 1]]), 2, TypeError),
    (torch.tensor([0, 1]), torch.tensor([0, 1]), 0, ValueError),
])
def test_confusion_matrix_rejects_bad_input(labels, predictions, k, error):
    with pytest.raises(error):
        confusion_matrix(labels, predictions, num_classes=k)


def test_accuracy_rejects_empty_and_non_square():
    with pytest.raises(ValueError):
        accuracy(torch.zeros(3, 3, dtype=torch.int64))
    with pytest.raises(ValueError):
        per_class_accuracy(torch.zeros(2, 3))


# --- the better CNN and augmentation -----------------------------------------

def test_small_cnn_shapes_and_errors():
    model = SmallCNN((8, 16, 32))
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    # each stage pools before BatchNorm and ReLU: they see a quarter of the values
    for stage in model.features:
        assert [type(m) for m in stage] == [nn.Conv2d, nn.MaxPool2d, nn.BatchNorm2d, nn.ReLU]
    assert conv_bn(3, 5)(torch.randn(1, 3, 7, 7)).shape == (1, 5, 7, 7)
    pooled = conv_bn(3, 5, pool=True, activation=nn.GELU)
    assert pooled(torch.randn(1, 3, 8, 8)).shape == (1, 5, 4, 4)
    assert [type(m) for m in pooled] == [nn.Conv2d, nn.MaxPool2d, nn.BatchNorm2d, nn.GELU]
    with pytest.raises(ValueError):
        model(torch.randn(3, 32, 32))
    with pytest.raises(ValueError):
        SmallCNN((8, 16))


# --- figures -----------------------------------------------------------------

def test_figures_return_figures_and_reject_bad_input():
    images = torch.randint(0, 256, (5, 3, 32, 32), dtype=torch.uint8)
    assert len(image_grid(images, list("abcde"), columns=4).axes) == 8
    assert loss_curve({"a": [3.0, 2.0, 1.0]}, {"a": 3}, window=2).axes[0].get_xlabel() == "epoch"
    matrix = torch.eye(3, dtype=torch.int64)
    assert confusion_figure(matrix, ["x", "y", "z"]).axes[0].get_ylabel() == "true class"
    with pytest.raises(TypeError):
        image_grid(images.float())
    with pytest.raises(ValueError):
        image_grid(images, ["a"])
    with pytest.raises(ValueError):
        loss_curve({})
    with pytest.raises(ValueError):
        confusion_figure(matrix, ["x", "y"])
