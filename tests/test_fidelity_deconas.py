"""DeCoNAS behaviours checked against hand-worked examples of the official code (Junem360/DeCoNAS)."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn

from srnas.datasets.patches import PatchSource, wrapped_gradient_score
from srnas.methods.deconas.model import OfficialSourceOp, official_role_fraction
from srnas.methods.deconas.search import SearchSettings, make_controller
from srnas.train import fit


def _settings(controller: str, hidden: int = 6) -> SearchSettings:
    return SearchSettings(
        epochs=1, steps_per_epoch=1, batch=1, lr_patch=8, child_lr=1e-3, child_lr_halve_every_epochs=1,
        controller_start_epoch=0, controller_steps=1, controller_lr=1e-3, controller_hidden=hidden, controller_layers=2,
        tanh_constant=1.1, op_tanh_reduce=2.5, baseline_decay=0.99, entropy_weight=1e-4, penalty=2.0, val_fraction=0.5,
        val_patch=8, val_batch=1, derive_samples=1, derive_tiles=1, complexity="correct", baseline_on="reward",
        derive_by="reward", controller=controller,
    )


def _tf_lstm(x, c, h, cell: nn.LSTMCell):
    """ops_general.lstm: gates from [x, h] @ w, no bias (torch stores the gates as i, f, g, o)."""
    gates = x @ cell.weight_ih.T + h @ cell.weight_hh.T
    i, f, g, o = gates.chunk(4, dim=-1)
    c = torch.sigmoid(i) * torch.tanh(g) + torch.sigmoid(f) * c
    return c, torch.sigmoid(o) * torch.tanh(c)


def test_row_controller_makes_ten_steps_of_three_bits_like_the_official_sampler():
    torch.manual_seed(0)
    policy = make_controller(30, _settings("row"))
    assert all(cell.bias_ih is None for cell in policy.lstm)  # bias-free LSTM
    calls = []
    policy.lstm[0].register_forward_hook(lambda *a: calls.append(1))
    arc = [1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1]
    _, log_prob, entropy, _ = policy(arc)
    assert len(calls) == 10  # one LSTM step per source row (1 + 2 + 3 + 4 rows), not one per bit

    # the official while-loop body, written out: start at g_emb, per row 3 heads (idx_w[i], idx_b[i])
    # on the same output, logits = (1.1 / 2.5) * tanh(.), next input op_emb[4 b0 + 2 b1 + b2]
    x = policy.start.view(1, -1)
    state = [(torch.zeros(1, 6), torch.zeros(1, 6)) for _ in range(2)]
    want_lp, want_h = 0.0, 0.0
    for row in range(10):
        inp = x
        for k, cell in enumerate(policy.lstm):
            state[k] = _tf_lstm(inp, *state[k], cell)
            inp = state[k][1]
        bits = arc[3 * row : 3 * row + 3]
        for j, bit in enumerate(bits):
            logits = 0.44 * torch.tanh(policy.heads[f"op{j}"](inp[0]))
            logp = torch.log_softmax(logits, -1)
            want_lp += float(logp[bit].detach())
            want_h += float(-(logp.exp() * logp).sum().detach())
        x = policy.embeds["step:op0/2+op1/2+op2/2"].weight[4 * bits[0] + 2 * bits[1] + bits[2]].view(1, -1)
    assert float(log_prob) == pytest.approx(want_lp, abs=1e-5)
    assert float(entropy) == pytest.approx(want_h, abs=1e-5)
    assert policy.embeds["step:op0/2+op1/2+op2/2"].num_embeddings == 8 and set(policy.heads) == {"op0", "op1", "op2"}


def test_row_controller_log_prob_of_its_own_samples_and_per_bit_option():
    torch.manual_seed(1)
    policy = make_controller(30, _settings("row"))
    gen = torch.Generator().manual_seed(3)
    arc, lp, _, _ = policy(generator=gen)
    assert len(arc) == 30 and set(arc) <= {0, 1}
    assert float(policy(arc)[1]) == pytest.approx(float(lp), abs=1e-6)
    per_bit = make_controller(30, _settings("per-bit"))
    assert len(per_bit.steps) == 30 and per_bit.start is None
    with pytest.raises(ValueError, match="row"):
        make_controller(30, _settings("rows"))


def test_official_supernet_conv_reads_reshaped_rows():
    """C = 1, sources 0 and 1 selected: the two 9-value rows are read as one [3, 3, 2, 1] HWIO kernel, so
    row 0's *second* value is tap (0, 0) of source 1 -- a weight trained for source 0 reads source 1."""
    op = OfficialSourceOp("conv3x3", 2, 1)
    with torch.no_grad():
        op.w.zero_()
        op.w[0, 1] = 1.0
    a, b = torch.randn(1, 1, 5, 5), torch.randn(1, 1, 5, 5)
    out = op([a, b], [0, 1])[0, 0]
    want = torch.zeros(5, 5)
    want[1:, 1:] = b[0, 0, :-1, :-1]  # tap (0, 0) = the up-left neighbour, zero padded
    torch.testing.assert_close(out, want)
    # alone, the same row keeps the layout [3, 3, 1, 1]: value 1 is tap (0, 1) of source 0
    alone = op([a, b], [0])[0, 0]
    want = torch.zeros(5, 5)
    want[1:, :] = a[0, 0, :-1, :]
    torch.testing.assert_close(alone, want)
    assert official_role_fraction("conv3x3", [0, 1], 64) == pytest.approx(1 / 9)
    assert official_role_fraction("conv3x3", [0], 64) == 1.0
    # the README's figures: 1/9 for every source at n = 3; at n = 4 the middle two sources keep none
    assert [official_role_fraction("conv3x3", [0, 1, 2], 64, p) for p in range(3)] == pytest.approx([1 / 9] * 3)
    assert [official_role_fraction("conv3x3", [0, 1, 2, 3], 64, p) for p in range(4)] == pytest.approx([1 / 9, 0, 0, 1 / 9])


def test_official_supernet_has_no_relu_and_no_conv_bias():
    op = OfficialSourceOp("conv3x3", 1, 2)
    assert [n for n, _ in op.named_parameters()] == ["w"]
    x = -torch.ones(1, 2, 4, 4)
    with torch.no_grad():
        op.w.fill_(1.0)
    assert float(op([x], [0]).max()) < 0  # a ReLU in front would give 0
    sep = OfficialSourceOp("sep_conv3x3", 3, 2)
    y = sep([torch.randn(1, 2, 4, 4)] * 3, [2])
    assert y.shape == (1, 2, 4, 4)


def test_wrapped_texture_score_by_hand():
    edge = torch.tensor([[0, 16], [16, 0]], dtype=torch.uint8).expand(3, 2, 2)
    # (0 - 16) mod 256 = 240, 240^2 = 57600 = 225 * 256 -> 0: a strong edge scores 0 (unwrapped: 512)
    assert wrapped_gradient_score(edge) == 0.0
    dot = torch.tensor([[1, 0], [0, 0]], dtype=torch.uint8).expand(3, 2, 2)
    assert wrapped_gradient_score(dot) == 2.0
    big = torch.tensor([[20, 0], [0, 0]], dtype=torch.uint8).expand(3, 2, 2)
    assert wrapped_gradient_score(big) == (400 % 256) * 2 % 256  # 144 + 144 = 288 -> 32


def _flat_and_textured() -> PatchSource:
    g = torch.Generator().manual_seed(0)
    flat = torch.full((3, 32, 32), 100, dtype=torch.uint8)
    noisy = torch.randint(0, 256, (3, 32, 32), generator=g, dtype=torch.uint8)
    hrs = [flat, noisy]
    lrs = [h[:, ::2, ::2].contiguous() for h in hrs]
    return PatchSource(["flat", "noisy"], lrs, hrs, 2)


def test_patch_filter_rejects_flat_patches():
    src = _flat_and_textured()
    lr, hr = src.batch(0, 0, 16, 8, augment=False, patch_filter="deconas-code")
    assert all(float(h.max() - h.min()) > 0 for h in hr)  # every patch from the noisy image
    lr0, hr0 = src.batch(0, 0, 16, 8, augment=False)
    assert any(float(h.max() - h.min()) == 0 for h in hr0)  # without the filter, flat patches come through
    with pytest.raises(ValueError, match="patch_filter"):
        src.batch(0, 0, 2, 8, patch_filter="nope")


class _Scripted:
    """A data source whose batches make an L1 loss chosen per (step, draw): HR = LR-upsampled + loss."""

    def __init__(self, losses: dict[tuple[int, int], float]):
        self.losses, self.drawn = losses, []

    def batch(self, step, seed, batch, lr_patch, augment=True, patch_filter=None, draw=0):
        self.drawn.append((step, draw))
        lr = torch.zeros(1, 3, 2, 2)
        return lr, torch.full((1, 3, 2, 2), self.losses[(step, draw)])


class _Zero(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return x * self.w


def test_loss_cut_skips_batches_above_twice_the_running_mean(tmp_path):
    from srnas.context import RunContext

    # step 0 trains whatever its loss; step 1: 3.0 >= 2 * 1.0 -> skipped, redraw 1.5 trains;
    # step 2: mean (1 + 1.5) / 2 = 1.25, 2.4 < 2.5 trains
    data = _Scripted({(0, 0): 1.0, (1, 0): 3.0, (1, 1): 1.5, (2, 0): 2.4})
    cfg = {"steps": 3, "batch": 1, "lr_patch": 2, "optimizer": "sgd", "lr": 0.0, "schedule": "constant", "loss": "l1", "loss_cut": 2.0}
    ctx = RunContext(tmp_path, device=torch.device("cpu"), quiet=True)
    out = fit(_Zero(), data, cfg, seed=0, ctx=ctx)  # type: ignore[arg-type]
    assert data.drawn == [(0, 0), (1, 0), (1, 1), (2, 0)]
    assert out["loss_cut_skipped_batches"] == 1
    assert [round(v, 4) for _, v in out["loss_curve"]] == [1.0, 1.5, 2.4]  # the trained batches' losses
    assert math.isfinite(out["final_loss"])
