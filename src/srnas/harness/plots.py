"""PSNR-vs-cost scatter plots (one per profile/scale/dataset set), written next to the tables."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from srnas.harness.aggregate import Group, stat  # noqa: E402

AXES = {
    "macs": ("MACs at {input}", lambda g: g.records[0]["cost"]["macs"][0]["macs"]),
    "params": ("parameters", lambda g: g.records[0]["cost"]["params"]),
}


def plot_psnr_vs(groups: Sequence[Group], x: str, path: Path, title: str) -> Path | None:
    """One panel per dataset: mean PSNR (error bar = std over seeds) against params or MACs (log x).

    Rows with zero cost (bicubic) are drawn as a horizontal reference line instead of a point.
    """
    if not groups:
        return None
    label_tpl, cost = AXES[x]
    datasets = [d for d in groups[0].datasets]
    for g in groups[1:]:
        datasets += [d for d in g.datasets if d not in datasets]
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.2 * len(datasets), 3.6), squeeze=False)
    for ax, dataset in zip(axes[0], datasets):
        for g in groups:
            s = stat(g.values(dataset, "psnr"))
            if s is None:
                continue
            c = cost(g)
            if c <= 0:
                ax.axhline(s.mean, color="grey", linestyle="--", linewidth=1, label=f"{g.label} ({s.n})")
                continue
            ax.errorbar([c], [s.mean], yerr=[s.std or 0.0], fmt="o", capsize=3, label=f"{g.label} [{g.config_hash[:6]}] ({s.n})")
        ax.set_xscale("log")
        ax.set_title(dataset)
        ax.set_xlabel(label_tpl.format(input=groups[0].records[0]["cost"]["macs"][0]["input"]))
        ax.set_ylabel("PSNR (dB)")
        ax.grid(True, alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="best")
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
