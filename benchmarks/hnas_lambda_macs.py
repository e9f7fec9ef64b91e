"""HNAS: does a lower lambda find cheaper architectures? Summarise `srnas run` records of lambda variants.

Reads results/runs/hnas/lambda-*/x{scale}/{profile}/*.json and writes a markdown table per seed: derived
genotype's MACs (search width, 48x48 LR, the reward's Cost basis), final-model MACs per LR pixel and
params, upsampling position, controller's mean sampled MACs in the first and last epoch, and PSNRs.

    python benchmarks/hnas_lambda_macs.py --profile short --scale 2 --out results/hnas_lambda_macs_x2_short.md
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path


def reward_pick(info: dict, cost_per_mac: float = 0.5e-8) -> float:
    """MACs of the candidate the joint reward (lambda*PSNR - (1-lambda)*Cost) would have derived.

    A post-hoc reading of the recorded candidates (their validation PSNR and MACs), not a new run.
    """
    lam = info["lambda"]
    best = max(info["candidates"], key=lambda c: lam * c["score_psnr"] - (1 - lam) * cost_per_mac * c["macs"])
    return best["macs"]


def rows(results: Path, profile: str, scale: int) -> list[dict]:
    out = []
    for path in sorted(results.glob(f"runs/hnas/lambda-*/x{scale}/{profile}/*.json")):
        r = json.loads(path.read_text())
        info, hist = r["search_info"], r["search_info"]["history"]
        out.append(
            {
                "lambda": info["lambda"],
                "seed": r["seed"],
                "position": r["genotype"]["upsampling_position"],
                "derived_macs_M": info["derived_macs_search_width"] / 1e6,
                "sampled_macs_first_M": hist[0]["macs"] / 1e6,
                "sampled_macs_last_M": hist[-1]["macs"] / 1e6,
                "candidate_macs_M": [c["macs"] / 1e6 for c in info["candidates"]],
                "reward_pick_macs_M": reward_pick(info) / 1e6,
                "final_macs_per_lr_px": r["cost"]["macs"][0]["macs_per_lr_pixel"],
                "params": r["cost"]["params"],
                **{name: m["psnr"] for name, m in r["metrics"].items()},
            }
        )
    return sorted(out, key=lambda x: (x["lambda"], x["seed"]))


def markdown(data: list[dict], profile: str, scale: int) -> str:
    sets = [k for k in ("Set5", "Set14", "B100", "Urban100") if data and k in data[0]]
    head = ["lambda", "seed", "up pos", "derived MACs (M, C_search, 48x48)", "controller MACs epoch 1 -> last (M)", "candidates' MACs (M)", "reward-ranked pick (M, post hoc)", "final MACs / LR px", "params", *sets]
    lines = [f"# HNAS lambda sweep, x{scale}, profile `{profile}` (from results/runs records)", "", "| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for d in data:
        cells = [f"{d['lambda']:g}", str(d["seed"]), str(d["position"]), f"{d['derived_macs_M']:.1f}", f"{d['sampled_macs_first_M']:.1f} -> {d['sampled_macs_last_M']:.1f}", " ".join(f"{m:.0f}" for m in d["candidate_macs_M"]), f"{d['reward_pick_macs_M']:.1f}", f"{d['final_macs_per_lr_px']:,.0f}", f"{d['params']:,}", *[f"{d[s]:.2f}" for s in sets]]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Mean over seeds:", ""]
    for lam in sorted({d["lambda"] for d in data}):
        group = [d for d in data if d["lambda"] == lam]
        mean = lambda k: statistics.mean(d[k] for d in group)  # noqa: E731
        psnr = ", ".join(f"{s} {mean(s):.2f}" for s in sets)
        lines.append(f"- lambda {lam:g} ({len(group)} seeds): derived {mean('derived_macs_M'):.1f} M MACs (reward-ranked pick {mean('reward_pick_macs_M'):.1f} M), controller's last-epoch mean {mean('sampled_macs_last_M'):.1f} M, final {mean('final_macs_per_lr_px'):,.0f} MACs/LR px; {psnr}")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default="results")
    ap.add_argument("--profile", default="short")
    ap.add_argument("--scale", type=int, default=2)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    text = markdown(rows(Path(args.results), args.profile, args.scale), args.profile, args.scale)
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
