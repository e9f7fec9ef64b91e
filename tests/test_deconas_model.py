"""DeCoNASNet: the released parameter count, forward shapes for sampled arcs, and weight sharing."""
import numpy as np
import pytest
import torch

from srnas.harness.execution.config import resolve_config
from srnas.methods.deconas import DECONASNET_ARC, DeCoNASMethod, build_supernet
from srnas.methods.deconas.model import DeCoNASNet, SourceOp
from srnas.methods.deconas.space import random_arc
from srnas.nas.flops import count_params

torch.set_num_threads(1)


def test_published_model_has_the_released_parameter_count():
    method = DeCoNASMethod()
    config = resolve_config(method, "paper", 2, "DeCoNASNet")
    model = method.build(method.fixed_genotype(config), 2, config)
    assert count_params(model) == 1_713_795


def _tiny_config(residual: bool) -> dict:
    method = DeCoNASMethod()
    config = resolve_config(method, "smoke", 2)
    config["options"]["bicubic_residual"] = residual
    return config


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_every_sampled_arc_runs_forward(scale):
    config = _tiny_config(residual=scale == 3)
    supernet = build_supernet(config, scale).eval()
    rng = np.random.default_rng(scale)
    arcs = [[0] * 30, [1] * 30, DECONASNET_ARC] + [random_arc(rng, 4) for _ in range(5)]
    x = torch.rand(2, 3, 9, 11)
    method = DeCoNASMethod()
    with torch.no_grad():
        for arc in arcs:
            y = supernet(x, arc)
            assert y.shape == (2, 3, 9 * scale, 11 * scale) and torch.isfinite(y).all()
            model = method.build({"arc": arc, "layers_per_dnb": 4}, scale, config).eval()
            assert model(x).shape == (2, 3, 9 * scale, 11 * scale)


def test_empty_arc_builds_no_candidate_ops_and_full_arc_all_of_them():
    empty = DeCoNASNet.from_arc([0] * 30, 4, 2, channels=8, num_dnbs=1)
    full = DeCoNASNet.from_arc([1] * 30, 4, 2, channels=8, num_dnbs=1)
    assert not any(isinstance(m, SourceOp) for m in empty.modules())
    assert sum(isinstance(m, SourceOp) for m in full.modules()) == 12


def _inherit(final: DeCoNASNet, supernet: DeCoNASNet) -> None:
    """Copy the supernet's weight slices of each selected source into the final network's ops."""
    sup = dict(supernet.named_modules())
    for name, mod in final.named_modules():
        if not isinstance(mod, SourceOp):
            continue
        big, c = sup[name], mod.channels
        idx = torch.cat([torch.arange(s * c, (s + 1) * c) for s in mod.slots])
        with torch.no_grad():
            if mod.kind == "sep_conv3x3":
                mod.depthwise.weight.copy_(big.depthwise.weight[idx])
                mod.pointwise.weight.copy_(big.pointwise.weight[:, idx])
                mod.pointwise.bias.copy_(big.pointwise.bias)
            else:
                mod.conv.weight.copy_(big.conv.weight[:, idx])
                mod.conv.bias.copy_(big.conv.bias)
    rest = {k: v for k, v in supernet.state_dict().items() if ".ops." not in k}
    final.load_state_dict({**final.state_dict(), **rest})


def test_supernet_arc_equals_the_final_network_with_the_shared_weights():
    torch.manual_seed(0)
    supernet = DeCoNASNet.supernet(4, 2, channels=8, num_dnbs=2).eval()
    rng = np.random.default_rng(0)
    x = torch.rand(1, 3, 12, 12)
    for arc in [DECONASNET_ARC, random_arc(rng, 4), random_arc(rng, 4)]:
        final = DeCoNASNet.from_arc(arc, 4, 2, channels=8, num_dnbs=2).eval()
        _inherit(final, supernet)
        with torch.no_grad():
            torch.testing.assert_close(final(x), supernet(x, arc), rtol=1e-5, atol=1e-6)


def test_slicing_equals_zero_masking_the_unselected_sources():
    torch.manual_seed(1)
    op = SourceOp("sep_conv3x3", [0, 1, 2], 4)
    sources = [torch.rand(1, 4, 6, 6) for _ in range(3)]
    masked = [sources[0], torch.zeros_like(sources[1]), sources[2]]
    with torch.no_grad():
        torch.testing.assert_close(op(sources, [0, 2]), op(masked, [0, 1, 2]))


def test_supernet_needs_an_arc():
    with pytest.raises(ValueError):
        DeCoNASNet.supernet(4, 2, channels=8, num_dnbs=1)(torch.rand(1, 3, 8, 8))
