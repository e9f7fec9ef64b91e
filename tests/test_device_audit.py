"""Device audit over the registry: every plugin's search and final training run on a device that is not
the CPU (``meta``) without mixing devices, in seconds (issue 23). One test body over the registry."""
from __future__ import annotations

import torch

import pytest

from srnas.device_audit import DeviceAudit, DeviceMismatch
from srnas.harness.execution.audit import audit_run
from srnas.methods import list_methods
from srnas.nas import controller as controller_module
from srnas.nas.controller import Decision, SequencePolicy


@pytest.mark.parametrize("name", list_methods())
def test_search_and_training_run_on_a_device_that_is_not_the_cpu(name):
    audit = audit_run(name, "smoke")
    assert audit.host_reads >= 0  # reached the end of search and training without a DeviceMismatch


def test_the_audit_refuses_a_cpu_generator_for_a_device_tensor():
    """What CUDA refuses ("Expected a 'cuda' device type for generator but found 'cpu'"), on meta."""
    probs = torch.ones(3, device="meta")
    with DeviceAudit(), pytest.raises(DeviceMismatch, match="cpu generator"):
        torch.multinomial(probs, 1, generator=torch.Generator())
    with DeviceAudit(), pytest.raises(DeviceMismatch, match="in one op"):
        torch.ones(2, device="meta") + torch.ones(2)


def test_the_audit_fails_on_the_former_controller(monkeypatch):
    """The controllers drew with a CPU generator on the device's probabilities: put that back and the audit
    stops at the controller's draw."""
    monkeypatch.setattr(controller_module, "_on_generator_device", lambda probs, generator: probs)
    with pytest.raises(DeviceMismatch, match="controller.py"):
        audit_run("deconas", "smoke", phases=("search",))


def test_tokens_are_drawn_where_the_generator_lives_so_the_stream_is_the_same_on_any_device():
    torch.manual_seed(0)
    policy = SequencePolicy([Decision("op", 5)] * 6, hidden=8)
    cpu_tokens = policy(generator=torch.Generator().manual_seed(3))[0]
    with DeviceAudit():  # meta stands for the accelerator; its copy to the host is answered by the audit
        moved = controller_module._on_generator_device(torch.ones(3, device="meta"), torch.Generator())
    assert moved.device.type == "cpu"
    probs = torch.tensor([0.2, 0.8])
    assert controller_module._on_generator_device(probs, torch.Generator()) is probs  # CPU runs: untouched
    again = policy(generator=torch.Generator().manual_seed(3))[0]
    assert cpu_tokens == again


def test_host_reads_of_meta_tensors_are_answered_and_counted():
    x = torch.ones(4, device="meta")
    with DeviceAudit() as audit:
        assert float(x.sum()) == 0.5 and int(x.sum()) == 1 and bool(x.any()) is False
        assert x.tolist() == [1.0] * 4
    assert audit.host_reads == 4


def test_fast_numerics_is_opt_in_recorded_and_hashed_apart(tmp_path):
    from srnas.cli import main
    from srnas.config import config_hash
    from srnas.harness.execution.config import resolve_config
    from srnas.methods import get_method
    from srnas.seeding import numerics_setup

    m = get_method("fsrcnn")
    faithful = resolve_config(m, "smoke", 2)
    fast = resolve_config(m, "smoke", 2, overrides=["train.numerics=fast"])
    assert "numerics" not in faithful["train"] and config_hash(faithful) != config_hash(fast)
    try:
        assert numerics_setup("fast")["tf32"] == {"matmul": True, "cudnn": True} and torch.backends.cudnn.benchmark
    finally:
        assert numerics_setup("faithful")["deterministic"] is True and not torch.backends.cuda.matmul.allow_tf32
    # a bad value is refused before any work, naming the key and the choices
    assert main(["run", "fsrcnn", "--profile", "smoke", "--set", "train.numerics=turbo", "--results", str(tmp_path)]) == 2
    assert not (tmp_path / "runs").exists()


def test_channel_attention_pool_is_adaptive_avg_pool_with_a_deterministic_backward():
    from srnas.nas.ops import ChannelAttention, GlobalAvgPool

    torch.manual_seed(0)
    for shape in [(4, 16, 24, 24), (1, 64, 37, 19)]:
        x1 = torch.randn(*shape, requires_grad=True)
        x2 = x1.detach().clone().requires_grad_(True)
        a, b = torch.nn.AdaptiveAvgPool2d(1)(x1), GlobalAvgPool()(x2)
        assert torch.equal(a, b)
        g = torch.randn_like(a)
        a.backward(g)
        b.backward(g)
        assert torch.equal(x1.grad, x2.grad)
    ca = ChannelAttention(16, 4)
    assert [k for k in ca.state_dict()] == ["body.1.weight", "body.1.bias", "body.3.weight", "body.3.bias"]  # checkpoints load
