"""HNAS networks: published genotypes' params, supernet forward at x2/x3/x4, MAC table vs count_macs."""
import numpy as np
import pytest
import torch

from srnas.harness.execution.config import resolve_config
from srnas.methods import get_method
from srnas.methods.hnas.cost import ArchCost, MacTable
from srnas.methods.hnas.model import HNASNet
from srnas.methods.hnas.ops import UpDownProjection, deconvolution
from srnas.methods.hnas.space import HNASSpace, published_genotype, validate_genotype
from srnas.methods.hnas.supernet import HNASSupernet
from srnas.nas.flops import count_macs, count_params

torch.set_num_threads(1)

# Independent counts of the published genotypes at C=64, L=12, x2 (shared/reference/genotypes.json).
REFERENCE_PARAMS = {"HNAS-A": 974_019, "HNAS-B": 2_141_290, "HNAS-C": 2_542_545}


@pytest.mark.parametrize("name", sorted(REFERENCE_PARAMS))
def test_published_genotype_params_within_one_percent(name):
    method = get_method("hnas")
    config = resolve_config(method, "paper", 2, variant=name)
    model = method.build(method.fixed_genotype(config), 2, config)
    assert abs(count_params(model) / REFERENCE_PARAMS[name] - 1) < 0.01


def test_published_hnas_a_upsamples_at_cell_9_and_outputs_x2():
    g = published_genotype("HNAS-A")
    net = HNASNet(g, 2, channels=4, layers=g["layers"])
    assert net.position == 9 and net.layers == 12
    assert net(torch.rand(1, 3, 7, 9)).shape == (1, 3, 14, 18)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_every_sampled_architecture_runs_in_the_supernet_with_the_right_size(scale):
    torch.manual_seed(0)
    space = HNASSpace(layers=3, udpb=True)
    net = HNASSupernet(space, scale, channels=4)
    rng = np.random.default_rng(scale)
    ops_seen = set()
    for _ in range(12):
        g = space.sample(rng)
        ops_seen |= {e[0] for e in g["normal"] + g["upsampling"]}
        assert net(torch.rand(2, 3, 9, 11), g).shape == (2, 3, 9 * scale, 11 * scale)
    assert len(ops_seen) >= 10


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_deconvolution_output_size_is_exact_at_every_factor(scale):
    # the official x3 layer (k3, s3, p1, output_padding 0) gives 3H-2; ours must give 3H
    for factor in (1, scale):
        assert deconvolution(4, factor)(torch.rand(1, 4, 5, 6)).shape == (1, 4, 5 * factor, 6 * factor)


def test_udpb_keeps_the_resolution():
    assert UpDownProjection(4)(torch.rand(1, 4, 10, 12)).shape == (1, 4, 10, 12)


@pytest.mark.parametrize("scale", [2, 3])
def test_mac_table_equals_count_macs_of_the_built_network(scale):
    space = HNASSpace(layers=3, udpb=True)
    table = MacTable(space, scale, channels=4, lr_size=12)
    rng = np.random.default_rng(0)
    for _ in range(4):
        g = space.sample(rng)
        assert table.macs(g) == count_macs(HNASNet(g, scale, 4, 3), (1, 3, 12, 12))


def test_official_cost_is_the_union_of_everything_run_so_far():
    space = HNASSpace(layers=3, udpb=False)
    table = MacTable(space, 2, channels=4, lr_size=12)
    rng = np.random.default_rng(1)
    a, b = space.sample(rng), space.sample(rng)
    sampled, official = ArchCost(table, 1.0, "sampled", None), ArchCost(table, 1.0, "official", None)
    assert sampled(a)[1] == official(a)[1] == table.macs(a)
    union = {**table.items(a), **table.items(b)}
    assert official(b)[1] == sum(union.values()) >= table.macs(b)
    assert sampled(b)[1] == table.macs(b)


def test_low_position_costs_more_than_late_upsampling():
    space = HNASSpace(layers=4, udpb=False)
    table = MacTable(space, 2, channels=4, lr_size=12)
    g = space.sample(np.random.default_rng(0))
    assert table.macs({**g, "upsampling_position": 0}) > table.macs({**g, "upsampling_position": 3})


def test_malformed_genotypes_are_rejected():
    g = published_genotype("HNAS-A")
    with pytest.raises(ValueError, match="upsampling_position"):
        validate_genotype(g, layers=8)
    bad = {**g, "normal": [["skip_connect", 3, 2]] + g["normal"][1:]}
    with pytest.raises(ValueError, match="bad normal edge"):
        validate_genotype(bad, layers=12)
