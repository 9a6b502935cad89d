"""blitz.augment: batched flips and translations, checked against hand-made images and F.pad."""
import pytest
import torch
from torch.nn import functional as F

from blitz.augment import crop_flip, flip, random_flip, random_translate, translate


def numbered(n=2, c=3, h=5, w=6, dtype=torch.uint8):
    """Images whose pixel values say where they are: value = 100*n + 10*row + col (mod 256 for uint8)."""
    rows = torch.arange(h)[:, None] * 10
    cols = torch.arange(w)[None, :]
    base = torch.stack([(k * 100 + rows + cols + ch) for k in range(n) for ch in range(c)])
    return (base % 256).reshape(n, c, h, w).to(dtype)


def test_flip_mirrors_only_the_chosen_images():
    x = numbered()
    out = flip(x, torch.tensor([True, False]))
    assert out.shape == x.shape and out.dtype == x.dtype
    assert torch.equal(out[0, :, :, 0], x[0, :, :, -1])  # first column is the old last one
    assert torch.equal(out[0], x[0, :, :, torch.arange(5, -1, -1)])
    assert torch.equal(out[1], x[1])


def test_random_flip_is_deterministic_given_a_generator_and_respects_p():
    x = numbered(n=64, dtype=torch.float32)
    a = random_flip(x, torch.Generator().manual_seed(3))
    b = random_flip(x, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    flipped = torch.tensor([torch.equal(a[k], x[k].flip(-1)) for k in range(64)])
    kept = torch.tensor([torch.equal(a[k], x[k]) for k in range(64)])
    assert bool((flipped | kept).all()) and 0 < int(flipped.sum()) < 64
    assert torch.equal(random_flip(x, p=0.0), x)
    assert torch.equal(random_flip(x, p=1.0), x.flip(-1))


def test_translate_with_zeros_on_a_known_image():
    x = numbered(n=1, c=1)
    out = translate(x, torch.tensor([[1, -2]]), mode="zeros")  # one row down, two columns left
    expected = torch.zeros_like(x)
    expected[0, 0, 1:, :-2] = x[0, 0, :-1, 2:]
    assert torch.equal(out, expected)


@pytest.mark.parametrize("dy, dx", [(0, 0), (2, 1), (-2, 2), (-1, -2), (2, -2)])
def test_translate_reflect_equals_pad_then_crop(dy, dx):
    x = numbered(dtype=torch.float32)
    padded = F.pad(x, (2, 2, 2, 2), mode="reflect")  # an independent reference
    h, w = x.shape[2:]
    reference = padded[:, :, 2 - dy:2 - dy + h, 2 - dx:2 - dx + w]
    out = translate(x, torch.tensor([[dy, dx]] * x.shape[0]))
    assert torch.equal(out, reference)


def test_translate_shifts_each_image_by_its_own_amount():
    x = numbered(n=2, dtype=torch.float32)
    out = translate(x, torch.tensor([[1, 0], [0, -1]]), mode="zeros")
    assert torch.equal(out[0, :, 1:], x[0, :, :-1]) and bool((out[0, :, 0] == 0).all())
    assert torch.equal(out[1, :, :, :-1], x[1, :, :, 1:]) and bool((out[1, :, :, -1] == 0).all())


def test_random_translate_keeps_shape_dtype_device_and_pixels():
    x = numbered(n=16)
    out = random_translate(x, 2, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.dtype == torch.uint8 and out.device == x.device
    assert torch.equal(out, random_translate(x, 2, torch.Generator().manual_seed(0)))
    assert set(out.unique().tolist()) <= set(x.unique().tolist())  # reflect only copies pixels
    assert torch.equal(random_translate(x, 0), x)


def test_bad_input_is_refused():
    x = numbered()
    with pytest.raises(TypeError, match="torch.Tensor"):
        random_flip(x.numpy())
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        random_flip(x[0])
    with pytest.raises(ValueError, match="mask"):
        flip(x, torch.tensor([1, 0]))
    with pytest.raises(ValueError, match="mode"):
        translate(x, torch.zeros(2, 2, dtype=torch.int64), mode="wrap")
    with pytest.raises(ValueError, match="shifts"):
        translate(x, torch.zeros(2, 2))  # float shifts
    with pytest.raises(ValueError, match="smaller than the image"):
        translate(x, torch.tensor([[5, 0], [0, 0]]))
    with pytest.raises(ValueError, match="max_shift"):
        random_translate(x, -1)
    with pytest.raises(ValueError, match="p must"):
        random_flip(x, p=1.5)


def test_crop_flip_is_a_crop_and_flip_of_each_image():
    images = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).reshape(2, 3, 8, 8)
    out = crop_flip(images, torch.Generator().manual_seed(0), pad=2)
    assert out.shape == images.shape
    padded = F.pad(images, (2, 2, 2, 2))
    for i in range(2):  # each output is some window of the zero-padded image, maybe mirrored
        windows = [padded[i, :, dy:dy + 8, dx:dx + 8] for dy in range(5) for dx in range(5)]
        assert any(torch.equal(out[i], w) or torch.equal(out[i], w.flip(2)) for w in windows)
    same = crop_flip(images, pad=0)  # no padding: only the flip is left
    assert all(torch.equal(same[i], images[i]) or torch.equal(same[i], images[i].flip(2)) for i in range(2))
    with pytest.raises(ValueError):
        crop_flip(images[0])
    with pytest.raises(ValueError):
        crop_flip(images, pad=-1)
