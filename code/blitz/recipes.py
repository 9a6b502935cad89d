"""The training recipes of the CIFAR-10 chapters on the CPU, each a :class:`~blitz.train.Recipe`.

``make bench`` trains each of them from scratch (tools/bench.py). ``ORIGINAL``
is introduced in chapter 4, Training a classifier on the CPU; ``FAST`` and
``CNN`` in chapter 6, Where the time goes on a CPU.
"""
from __future__ import annotations

from blitz.train import Recipe

#: The original tutorial's hyperparameters: batch 4, SGD lr 0.001 momentum 0.9, 2 epochs (for LeNet).
#: Unlike the original, the optimizer is created once, so the momentum really is 0.9.
ORIGINAL = Recipe()
#: Same network and epochs, 16 times fewer (larger) steps, learning rate scaled with the batch (0.001 * 64 / 4).
FAST = Recipe(batch_size=64, lr=0.016, epochs=2, log_every=200, threads=1)
#: A better small CNN: batch norm, augmentation, one-cycle learning rate, weight decay.
CNN = Recipe(batch_size=128, lr=0.2, momentum=0.9, nesterov=True, weight_decay=5e-4,
             epochs=4, schedule="onecycle", augment=True, log_every=100, threads=2)
#: The widths of the better CNN's three stages.
CNN_WIDTHS = (32, 64, 192)
