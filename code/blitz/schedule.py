"""The learning-rate schedule of the book's recipes: a linear warm-up, then a linear decay to zero.

A high learning rate at the very first steps, when the weights are random,
can throw training off; rising to it gradually (over the first quarter of
the steps in blitz.train, over the first epochs in blitz.fast) avoids that
(warm-up: Goyal et al., 2017). Falling linearly to zero at the end lets the
last steps settle (one-cycle: Smith and Topin, 2017). Introduced in
chapter 6, Where the time goes on a CPU; chapter 7, Going fast on a GPU uses it too.
"""
from __future__ import annotations


def lr_factor(step: int, total: int, warmup: int) -> float:
    """The learning rate at ``step`` as a fraction of the peak: a linear rise over ``warmup``
    steps, then a linear fall to 0 at ``total``.

    Used as ``LambdaLR(optimizer, lambda s: lr_factor(s, total, warmup))``.
    Introduced in chapter 6, Where the time goes on a CPU.
    """
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))
