"""blitz.schedule: the warm-up then linear-decay learning rate."""
import pytest
import torch

from blitz.schedule import lr_factor


def test_warms_up_then_decays_to_zero():
    factors = [lr_factor(s, total=10, warmup=4) for s in range(10)]
    assert factors[:4] == [0.25, 0.5, 0.75, 1.0]
    assert factors[4:] == pytest.approx([1.0, 5 / 6, 4 / 6, 3 / 6, 2 / 6, 1 / 6])
    assert lr_factor(10, total=10, warmup=4) == 0.0 and lr_factor(12, total=10, warmup=4) == 0.0


def test_drives_an_optimizer_through_lambdalr():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, 4, 2))
    seen = []
    for _ in range(4):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert seen == pytest.approx([0.1, 0.2, 0.2 * 2 / 2, 0.2 * 1 / 2])
