"""Data augmentation for whole batches, on whatever device the images live.

torchvision's random transforms are usually applied one image at a time, in
the Dataset that a DataLoader reads. When the whole data set already sits in
one tensor (on the GPU, say) it is much faster to augment all images at once
with a few tensor operations: a random horizontal flip (one ``torch.where``)
and a random translation (the "pad and random crop" of the classic CIFAR-10
recipe), written here as two ``gather`` calls.

Every function takes a batch ``(N, C, H, W)`` of any dtype (uint8 or float)
and returns a new batch of the same shape, dtype and device. The random ones
draw from an optional ``torch.Generator``, so a seeded generator gives the
same augmentation every time.

Introduced in chapter 6, Where the time goes on a CPU (the crop and flip of the CPU network,
:func:`crop_flip`); chapter 7, Going fast on a GPU explains how it works and uses it on the GPU.
"""
from __future__ import annotations

import torch

from blitz.batches import check_images

#: How translate() fills the pixels that move in from outside the image.
MODES = ("reflect", "zeros")


def _draw_device(images: torch.Tensor, generator: torch.Generator | None) -> torch.device:
    """Random numbers are drawn where the generator lives (a CPU generator can serve GPU images)."""
    return generator.device if generator is not None else images.device


def flip(images: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mirror left-right the images whose entry in the bool ``mask`` (N,) is True."""
    images = check_images(images)
    if mask.shape != images.shape[:1] or mask.dtype != torch.bool:
        raise ValueError(f"mask must be a bool tensor of shape ({images.shape[0]},), "
                         f"got {mask.dtype} {tuple(mask.shape)}")
    mask = mask.to(images.device)[:, None, None, None]  # (N,) -> (N, 1, 1, 1), broadcast over C, H, W
    return torch.where(mask, images.flip(3), images)


def random_flip(images: torch.Tensor, generator: torch.Generator | None = None, p: float = 0.5) -> torch.Tensor:
    """Mirror each image left-right with probability ``p``."""
    images = check_images(images)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a probability in [0, 1], got {p}")
    draws = torch.rand(images.shape[0], generator=generator, device=_draw_device(images, generator))
    return flip(images, draws < p)


def _reflect(index: torch.Tensor, size: int) -> torch.Tensor:
    """Fold indices that fall off either edge back inside, mirroring about the edge pixel."""
    index = index.abs()  # -1 -> 1, -2 -> 2
    return torch.where(index > size - 1, 2 * (size - 1) - index, index)  # size -> size - 2


def translate(images: torch.Tensor, shifts: torch.Tensor, mode: str = "reflect") -> torch.Tensor:
    """Move image n down by ``shifts[n, 0]`` rows and right by ``shifts[n, 1]`` columns.

    The pixels that move in from outside are the mirror image of the border
    (``mode="reflect"``, like ``F.pad(..., mode="reflect")``) or zeros
    (``mode="zeros"``). Negative shifts move up or left. Equivalent to padding
    every image and cropping a window at an offset, done in one pass.
    """
    images = check_images(images)
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    n, c, h, w = images.shape
    if shifts.shape != (n, 2) or shifts.is_floating_point() or shifts.is_complex():
        raise ValueError(f"shifts must be an integer tensor of shape ({n}, 2), got {shifts.dtype} {tuple(shifts.shape)}")
    shifts = shifts.to(images.device, torch.int64)
    if n and shifts.abs().max().item() >= min(h, w):
        raise ValueError(f"shifts must be smaller than the image ({h}x{w}), got {shifts.abs().max().item()}")
    # output pixel (i, j) of image k comes from source pixel (i - dy_k, j - dx_k)
    rows = torch.arange(h, device=images.device)[None, :] - shifts[:, 0:1]  # (N, H)
    cols = torch.arange(w, device=images.device)[None, :] - shifts[:, 1:2]  # (N, W)
    if mode == "reflect":
        src_r, src_c = _reflect(rows, h), _reflect(cols, w)
    else:
        src_r, src_c = rows.clamp(0, h - 1), cols.clamp(0, w - 1)
    out = images.gather(2, src_r[:, None, :, None].expand(n, c, h, w))  # pick rows: (N, C, H, W)
    out = out.gather(3, src_c[:, None, None, :].expand(n, c, h, w))  # then columns: (N, C, H, W)
    if mode == "zeros":
        inside = ((rows >= 0) & (rows < h))[:, None, :, None] & ((cols >= 0) & (cols < w))[:, None, None, :]
        out = torch.where(inside, out, torch.zeros((), dtype=out.dtype, device=out.device))
    return out


def random_translate(images: torch.Tensor, max_shift: int, generator: torch.Generator | None = None,
                     mode: str = "reflect") -> torch.Tensor:
    """Move each image by a random whole number of pixels in [-max_shift, max_shift] along each axis.

    The same as padding by ``max_shift`` and taking a random crop of the
    original size, the standard CIFAR-10 augmentation.
    """
    images = check_images(images)
    if not isinstance(max_shift, int) or max_shift < 0:
        raise ValueError(f"max_shift must be an int >= 0, got {max_shift!r}")
    shifts = torch.randint(-max_shift, max_shift + 1, (images.shape[0], 2),
                           generator=generator, device=_draw_device(images, generator))
    return translate(images, shifts, mode)


def crop_flip(images: torch.Tensor, generator: torch.Generator | None = None, pad: int = 4) -> torch.Tensor:
    """Random crop (after zero-padding by ``pad``) and random horizontal flip, for a whole batch.

    ``images`` is (B, C, H, W); each image gets its own shift and coin flip, all
    drawn at once, so one call costs a few tensor operations instead of a PIL
    call per image. A flipped or slightly shifted cat is still a cat: each
    image gets a fresh random one of (2 * pad + 1)**2 * 2 variants (162 for
    ``pad=4``) every time it is used. Cropping the window that starts
    at (dy, dx) of the padded image is shifting the image by ``pad - dy`` rows
    and ``pad - dx`` columns, which :func:`translate` does (its ``"zeros"``
    mode fills in what the padding would; on images already normalised to
    [-1, 1], as :func:`blitz.train.train` passes them, zero is mid-grey).
    Introduced in chapter 6, Where the time goes on a CPU.
    """
    images = check_images(images)
    if not isinstance(pad, int) or pad < 0:
        raise ValueError(f"pad must be an int >= 0, got {pad!r}")
    b = images.shape[0]
    dy = torch.randint(0, 2 * pad + 1, (b, 1), generator=generator)  # where each crop starts
    dx = torch.randint(0, 2 * pad + 1, (b, 1), generator=generator)
    mirror = torch.rand(b, generator=generator) < 0.5
    shifts = pad - torch.cat([dy, dx], dim=1)  # (B, 2): rows down, columns right
    return flip(translate(images, shifts, mode="zeros"), mirror)
