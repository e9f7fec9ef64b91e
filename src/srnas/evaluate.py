"""Score an upscaler on benchmark sets under one named protocol.

An upscaler is either a plain callable ``uint8 LR -> SR in [0, 255]`` or a ``torch.nn.Module`` (RGB
``[1, 3, h, w]`` in [0, 1] -> ``[1, 3, h*s, w*s]``), wrapped by :func:`module_upscaler`. Every result
records the LR source actually used, because the two shipped LR conventions differ at the borders.
"""
from __future__ import annotations

import time
from typing import Callable, Sequence, Union

import numpy as np
import torch
from tqdm.auto import tqdm

from srnas.datasets import describe_lr, load_pairs
from srnas.datasets.loading import LRSource, load_derived_pairs
from srnas.datasets.paths import DataRootLike
from srnas.datasets.registry import Convention
from srnas.errors import SrnasError
from srnas.protocol.imresize import imresize
from srnas.protocol.metrics import PROTOCOLS, Protocol, score_pair

Upscaler = Callable[[np.ndarray], np.ndarray]
DEFAULT_SETS = ("Set5", "Set14", "B100", "Urban100")


def bicubic_upscaler(scale: int) -> Upscaler:
    """MATLAB-exact bicubic upscaling (uint8 in, uint8 out, symmetric padding): the baseline row."""
    return lambda lr: imresize(lr, scale)


def _run_tiled(model: torch.nn.Module, x: torch.Tensor, tile: int, overlap: int) -> torch.Tensor:
    """Upscale ``x`` tile by tile; each tile sees ``overlap`` LR pixels of context that are then discarded,
    so the seams match a whole-image pass for models whose receptive field fits in the overlap."""
    _, _, h, w = x.shape
    out = None
    for y0 in range(0, h, tile):
        for x0 in range(0, w, tile):
            y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
            ya, xa = max(y0 - overlap, 0), max(x0 - overlap, 0)
            yb, xb = min(y1 + overlap, h), min(x1 + overlap, w)
            part = model(x[:, :, ya:yb, xa:xb])
            s = part.shape[2] // (yb - ya)
            if out is None:
                out = x.new_zeros((1, part.shape[1], h * s, w * s))
            out[:, :, y0 * s : y1 * s, x0 * s : x1 * s] = part[
                :, :, (y0 - ya) * s : (y1 - ya) * s, (x0 - xa) * s : (x1 - xa) * s
            ]
    assert out is not None
    return out


def module_upscaler(model: torch.nn.Module, device: str | torch.device = "cpu", tile: int | None = None,
                    overlap: int = 16) -> Upscaler:
    """Wrap an RGB [0, 1] SR network as an upscaler: eval mode, no_grad, grey LR replicated to 3 channels,
    optional tiling (``tile`` LR pixels, ``overlap`` context) to bound memory on large images."""
    model = model.to(device).eval()

    def upscale(lr: np.ndarray) -> np.ndarray:
        rgb = np.repeat(lr[..., None], 3, axis=2) if lr.ndim == 2 else lr
        x = torch.from_numpy(np.ascontiguousarray(rgb, dtype=np.float32) / 255.0).permute(2, 0, 1)[None].to(device)
        with torch.no_grad():
            y = _run_tiled(model, x, tile, overlap) if tile else model(x)
        return (y[0].permute(1, 2, 0).clamp(0, 1) * 255.0).double().cpu().numpy()

    return upscale


def self_ensemble(upscale: Upscaler) -> Upscaler:
    """The x8 geometric self-ensemble of EDSR-era "+" results: upscale the LR under each of the 8 flips and
    rotations of the square, undo the transform on the output, and average. HNAS's official README evaluates
    this way, so it is an evaluation option recorded with the metrics (``self_ensemble``)."""

    def upscale8(lr: np.ndarray) -> np.ndarray:
        total = None
        for k in range(4):
            for flip in (False, True):
                x = np.rot90(lr[:, ::-1] if flip else lr, k)
                y = np.rot90(np.asarray(upscale(np.ascontiguousarray(x)), dtype=np.float64), -k)
                y = y[:, ::-1] if flip else y
                total = y if total is None else total + y
        assert total is not None
        return total / 8.0

    return upscale8


def rounded_lr_from_hr(hr: np.ndarray, scale: int) -> np.ndarray:
    """DeCoNAS's test LR (``data_utils.image_degradation(.., 'x2_small')``): the modcropped HR as float32
    /255, a MATLAB-style bicubic resize by 1/scale (float64), then ``round(clip(x * 255, 0, 255))``: uint8."""
    x = hr.astype(np.float32) / np.float32(255.0)
    lr = imresize(x.astype(np.float64), 1.0 / scale)
    return np.round(np.clip(lr * 255.0, 0.0, 255.0)).astype(np.uint8)


LR_FROM_HR_LABEL = "generate:imresize(HR/255 float, 1/scale), rounded to uint8 (DeCoNAS code)"


def _pairs(name: str, scale: int, protocol: Protocol, lr_source: LRSource, convention: Convention,
           data_root: DataRootLike) -> list[tuple[str, np.ndarray, np.ndarray]]:
    if protocol.lr_mode == "hr_rounded":  # made once per image, then cached like every generated LR
        return load_derived_pairs(name, scale, f"hr_rounded-r{protocol.revision}", rounded_lr_from_hr, data_root)
    return load_pairs(name, scale, lr_source, convention, data_root)


def evaluate(
    upscale: Union[Upscaler, torch.nn.Module],
    scale: int,
    datasets: Sequence[str] = DEFAULT_SETS,
    protocol: str | Protocol = "canonical",
    lr_source: LRSource = "auto",
    data_root: DataRootLike = None,
    per_image: bool = False,
    convention: Convention = "symmetric",
    ensemble: bool = False,
    progress: bool = False,
) -> dict[str, dict]:
    """Mean PSNR/SSIM per set: ``{"Set5": {"psnr", "ssim", "n", "lr_source", "protocol", ...}}``.

    With ``per_image`` each set also gets ``"images": {stem: {"psnr", "ssim"}}``; ``ensemble`` scores the
    x8 :func:`self_ensemble` of the upscaler. A protocol with ``lr_mode="hr_rounded"`` makes its own LR from
    HR (DeCoNAS), whatever ``lr_source`` says, and the result says so.
    """
    if isinstance(upscale, torch.nn.Module):
        upscale = module_upscaler(upscale)
    if ensemble:
        upscale = self_ensemble(upscale)
    if isinstance(protocol, str):
        if protocol not in PROTOCOLS:
            raise SrnasError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
        protocol = PROTOCOLS[protocol]
    # Resolve every set's LR source first: a typo in the last set name should fail before minutes of work.
    choices = {name: describe_lr(name, scale, lr_source, convention) for name in datasets}
    results: dict[str, dict] = {}
    for name, choice in choices.items():
        start = time.perf_counter()
        scores = {}
        pairs = _pairs(name, scale, protocol, lr_source, convention, data_root)
        for stem, lr, hr in tqdm(pairs, desc=f"eval {name} x{scale}", unit="img", disable=not progress, leave=False):
            sr = upscale(lr)
            if sr.shape[:2] != hr.shape[:2]:
                raise SrnasError(
                    f"{name}/{stem}: upscaler returned {sr.shape[1]}x{sr.shape[0]} for a x{scale} "
                    f"{lr.shape[1]}x{lr.shape[0]} input (expected {hr.shape[1]}x{hr.shape[0]}); is the scale right?"
                )
            try:
                scores[stem] = score_pair(sr, hr, scale, protocol)
            except SrnasError as exc:
                raise SrnasError(f"{name}/{stem}: {exc}") from None
        entry = {
            "psnr": float(np.mean([s["psnr"] for s in scores.values()])),
            "ssim": float(np.mean([s["ssim"] for s in scores.values()])),
            "n": len(scores),
            "scale": scale,
            "protocol": protocol.name,
            "lr_source": LR_FROM_HR_LABEL if protocol.lr_mode == "hr_rounded" else choice.label,
            "lr_convention": choice.convention,
            "self_ensemble": ensemble,
            "seconds": round(time.perf_counter() - start, 2),
        }
        if per_image:
            entry["images"] = {k: {m: float(v) for m, v in s.items()} for k, s in scores.items()}
        results[name] = entry
    return results
