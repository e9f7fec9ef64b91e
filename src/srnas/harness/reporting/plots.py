"""PSNR-vs-cost scatter plots (one per profile/scale/dataset set), written next to the tables."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.artist import Artist  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from srnas.harness.reporting.aggregate import Group, stat  # noqa: E402

def _panels(n: int) -> tuple[Any, Any]:
    """A figure of ``n`` panels, two per row."""
    ncols = min(n, 2)
    nrows = -(-n // ncols)
    return plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.9 * nrows), squeeze=False)


def _finish(fig: Any, axes: Any, used: int, handles: dict[str, Artist], legend_title: str, title: str, path: Path) -> Path:
    """Hide the unused panels, put the legend outside them (it never hides a point), title, write, close."""
    for ax in list(axes.flat)[used:]:
        ax.set_visible(False)
    fig.legend(list(handles.values()), list(handles), loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8,
               title=legend_title, title_fontsize=8, frameon=False)
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


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
    # Every series gets its own colour *and* marker (tab20 has 20 distinct colours; markers cycle over 10),
    # and the legend sits outside the panels so it never hides a point.
    colours = list(cast(ListedColormap, plt.get_cmap("tab20")).colors)  # type: ignore[arg-type]  # tab20 is a list of RGB tuples
    markers = "osD^v<>PXh"
    style = {id(g): (colours[i % len(colours)], markers[i % len(markers)]) for i, g in enumerate(groups)}
    fig, axes = _panels(len(datasets))
    handles: dict[str, Artist] = {}
    for ax, dataset in zip(axes.flat, datasets):
        for g in groups:
            s = stat(g.values(dataset, "psnr"))
            if s is None:
                continue
            c = cost(g)
            colour, marker = style[id(g)]
            if c <= 0:
                h = ax.axhline(s.mean, color="grey", linestyle="--", linewidth=1)
                handles.setdefault(f"{g.label} ({s.n})", h)
                continue
            h = ax.errorbar([c], [s.mean], yerr=[s.std or 0.0], fmt=marker, color=colour, markersize=6, capsize=3)
            handles.setdefault(f"{g.label} [{g.config_hash[:6]}] ({s.n})", h)
        ax.set_xscale("log")
        ax.set_title(dataset)
        ax.set_xlabel(label_tpl.format(input=groups[0].records[0]["cost"]["macs"][0]["input"]))
        ax.set_ylabel("PSNR (dB)")
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        ax.grid(True, which="both", alpha=0.3)
    return _finish(fig, axes, len(datasets), handles, "method [config] (seeds)", title, path)


def plot_size_lines(data: dict[str, Any], path: Path) -> Path | None:
    """The comparison's size adjustment as a picture: per space, every run's focus-set PSNR against its
    parameters (one colour per condition), the fitted line, and each row's mean with a cross. Why: the
    page's residuals and Pareto flags are easier to trust when the runs they summarise are in view."""
    spaces = [sp for sp in data["spaces"] if sp.get("size_fit") and sp["size_fit"].get("points")]
    if not spaces:
        return None
    fig, axes = _panels(len(spaces))
    colours = list(cast(ListedColormap, plt.get_cmap("tab10")).colors)  # type: ignore[arg-type]  # tab10 is a list of RGB tuples
    handles: dict[str, Artist] = {}
    # one colour per condition on every panel (a space without an objective row keeps the others' colours)
    conditions = list(dict.fromkeys(p["condition"] for sp in spaces for p in sp["size_fit"]["points"]))
    kilo = FuncFormatter(lambda v, _: f"{v / 1e3:.0f}K")
    for ax, sp in zip(axes.flat, spaces):
        fit = sp["size_fit"]
        for i, cond in enumerate(conditions):
            pts = [p for p in fit["points"] if p["condition"] == cond]
            if not pts:
                continue
            x = np.array([10 ** p["log10_params"] for p in pts])
            y = np.array([p["psnr"] for p in pts])
            colour = colours[i % len(colours)]
            h = ax.scatter(x, y, s=14, color=colour, alpha=0.6)
            ax.plot([10 ** np.mean(np.log10(x))], [y.mean()], marker="X", markersize=10, color=colour, markeredgecolor="black")
            handles.setdefault(cond, h)
        lx = np.array([min(p["log10_params"] for p in fit["points"]), max(p["log10_params"] for p in fit["points"])])
        ax.plot(10 ** lx, fit["intercept_db"] + fit["slope_db_per_decade"] * lx, color="grey", linestyle="--", linewidth=1)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(kilo)
        ax.xaxis.set_minor_formatter(kilo)
        ax.tick_params(axis="x", which="both", labelsize=7, labelrotation=45)
        ax.set_title(f"{sp['space']}: {fit['slope_db_per_decade']:+.2f} dB per tenfold params, r = {fit['r']:.2f}", fontsize=9)
        ax.set_xlabel("parameters")
        ax.set_ylabel(f"{data['focus']} PSNR (dB)")
        ax.grid(True, which="both", alpha=0.3)
    return _finish(fig, axes, len(spaces), handles, "runs (X: row mean, log-mean params)",
                   f"Equal-budget comparison x{data['scale']}: PSNR against size, one line per space", path)
