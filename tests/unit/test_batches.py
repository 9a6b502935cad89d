"""blitz.batches: checking, normalising and shuffling image batches held in memory."""
import pytest
import torch
from PIL import Image
from torchvision import transforms

from blitz.batches import check_images, normalize, shuffled_batches, validation_split


def test_normalize_matches_totensor_and_normalize():
    images = torch.randint(0, 256, (3, 3, 32, 32), dtype=torch.uint8)
    reference = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    expected = torch.stack([reference(Image.fromarray(im.permute(1, 2, 0).numpy())) for im in images])
    assert torch.allclose(normalize(images), expected, atol=1e-6)
    assert normalize(images).min() >= -1 and normalize(images).max() <= 1


def test_normalize_takes_per_channel_statistics():
    images = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8)
    mean, std = torch.tensor([0.1, 0.5, 0.9]), torch.tensor([0.2, 0.3, 0.4])
    reference = transforms.Normalize(mean.tolist(), std.tolist())(images.float() / 255)
    assert torch.allclose(normalize(images, mean[None, :, None, None], std[None, :, None, None]), reference,
                          atol=1e-6)


@pytest.mark.parametrize("bad, error", [(torch.zeros(3, 32, 32, dtype=torch.uint8), ValueError),
                                        (torch.zeros(1, 3, 32, 32), TypeError), ([[0]], TypeError)])
def test_normalize_rejects_bad_input(bad, error):
    with pytest.raises(error):
        normalize(bad)


def test_check_images_returns_its_input_or_says_what_is_wrong():
    x = torch.zeros(2, 3, 4, 4)
    assert check_images(x) is x
    with pytest.raises(ValueError, match=r"\(N, C, H, W\), got \(3, 4, 4\)"):
        check_images(x[0])
    with pytest.raises(TypeError, match="torch.uint8"):
        check_images(x, torch.uint8)


def test_shuffled_batches_cover_every_example_once():
    x, y = torch.arange(10.0).reshape(10, 1, 1, 1), torch.arange(10)
    batches = list(shuffled_batches(x, y, 4, torch.Generator().manual_seed(0)))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    seen = torch.cat([b[1] for b in batches])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    assert all(torch.equal(b[0].flatten(), b[1].float()) for b in batches)  # images stay with labels
    with pytest.raises(ValueError):
        list(shuffled_batches(x, y[:3], 4))
    with pytest.raises(ValueError):
        list(shuffled_batches(x, y, 0))


def test_drop_last_skips_the_partial_batch_only():
    x, y = torch.arange(10.0).reshape(10, 1, 1, 1), torch.arange(10)
    kept = list(shuffled_batches(x, y, 4, torch.Generator().manual_seed(0)))
    dropped = list(shuffled_batches(x, y, 4, torch.Generator().manual_seed(0), drop_last=True))
    assert [len(b) for b, _ in dropped] == [4, 4]
    assert all(torch.equal(a[1], b[1]) for a, b in zip(kept, dropped))  # same order, same batches
    assert len(list(shuffled_batches(x, y, 5, drop_last=True))) == 2  # nothing to drop when it divides


def test_the_same_seed_gives_the_same_order():
    x, y = torch.zeros(50, 1, 1, 1), torch.arange(50)
    first = [b for _, b in shuffled_batches(x, y, 7, torch.Generator().manual_seed(3))]
    again = [b for _, b in shuffled_batches(x, y, 7, torch.Generator().manual_seed(3))]
    assert all(torch.equal(a, b) for a, b in zip(first, again))


def test_validation_split_holds_out_disjoint_examples_and_is_reproducible():
    images = torch.arange(100).view(100, 1, 1, 1).expand(100, 3, 2, 2).to(torch.uint8)
    labels = torch.arange(100) % 10
    state = torch.get_rng_state()
    (fit_x, fit_y), (val_x, val_y) = validation_split(images, labels, 20, seed=3)
    assert torch.equal(torch.get_rng_state(), state)  # the global random state is untouched
    assert (len(fit_x), len(val_x)) == (80, 20)
    fit_ids, val_ids = set(fit_x[:, 0, 0, 0].tolist()), set(val_x[:, 0, 0, 0].tolist())
    assert not fit_ids & val_ids and fit_ids | val_ids == set(range(100))  # every example once
    assert torch.equal(fit_y, fit_x[:, 0, 0, 0].long() % 10) and torch.equal(val_y, val_x[:, 0, 0, 0].long() % 10)
    assert sorted(val_ids) != list(range(20))  # random, not the first examples
    again = validation_split(images, labels, 20, seed=3)
    assert torch.equal(again[1][0], val_x) and not torch.equal(validation_split(images, labels, 20, seed=4)[1][0], val_x)


@pytest.mark.parametrize("size", [0, 100, -1])
def test_validation_split_rejects_bad_sizes(size):
    with pytest.raises(ValueError, match="size must be"):
        validation_split(torch.zeros(100, 3, 2, 2), torch.zeros(100), size)
    with pytest.raises(ValueError, match="labels"):
        validation_split(torch.zeros(100, 3, 2, 2), torch.zeros(99), 10)
