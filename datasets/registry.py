"""What each dataset is, where it lives under the data root, and how to get it.

LR conventions on disk are named by the border padding of the MATLAB bicubic that made them, because
that is the only thing that differs between the two folders: ``LR_bicubic`` (EDSR benchmark pack,
current MATLAB, ``symmetric``) and ``LR_bicubic_SelfExSR`` (Huang et al. 2015, older MATLAB,
``replicate``). Keeping the two apart matters: they differ by up to 11 grey levels at the border.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from srnas.errors import DatasetError

Convention = Literal["symmetric", "replicate"]
LR_FOLDERS: dict[str, str] = {"symmetric": "LR_bicubic", "replicate": "LR_bicubic_SelfExSR"}
MANIFEST_DIR = Path(__file__).resolve().parent / "manifests"

_SHARED = "It ships in shared/datasets (see its README.md); point --data-root or SRNAS_DATA at that folder."
_ACADEMIC = "No explicit licence; research benchmark, academic use only. Cite the original paper."


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset: its role, folder, the LR it has on disk, and how to obtain it."""

    name: str
    role: Literal["benchmark", "train"]
    hr_dir: str  # HR folder relative to the data root
    lr_on_disk: dict[str, tuple[int, ...]] = field(default_factory=dict)  # convention -> scales
    obtain: str = _SHARED
    licence: str = _ACADEMIC
    user_supplied_env: str | None = None  # env var naming the HR folder directly (Manga109)

    @property
    def folder(self) -> str:
        """The set's top folder under the data root."""
        return self.hr_dir.split("/")[0]

    def lr_dir(self, convention: str, scale: int) -> str | None:
        """LR folder relative to the data root, or None when that convention/scale is not on disk."""
        if scale not in self.lr_on_disk.get(convention, ()):
            return None
        return f"{self.folder}/{LR_FOLDERS[convention]}/X{scale}"


_SPECS = [
    DatasetSpec("Set5", "benchmark", "Set5/HR", {"symmetric": (2, 3, 4), "replicate": (2, 3, 4)},
                licence=_ACADEMIC + " Bevilacqua et al., BMVC 2012."),
    DatasetSpec("Set14", "benchmark", "Set14/HR", {"symmetric": (2, 3, 4)},
                licence=_ACADEMIC + " Zeyde et al., 2010."),
    DatasetSpec("B100", "benchmark", "B100/HR", {"replicate": (2, 3, 4)},
                licence="BSDS300 (Martin et al., ICCV 2001); Corel images, research use only."),
    DatasetSpec("Urban100", "benchmark", "Urban100/HR", {"replicate": (4,)},
                licence="Huang et al., CVPR 2015; Flickr images, research use only."),
    DatasetSpec("Manga109", "benchmark", "Manga109/HR",
                obtain=("Not redistributable. Request it from http://www.manga109.org (academic use), then pass "
                        "--manga109 PATH or set SRNAS_MANGA109 to the folder holding its 109 PNG pages."),
                licence="Manga109: academic research use only; redistribution restricted (Matsui et al., 2017).",
                user_supplied_env="SRNAS_MANGA109"),
    DatasetSpec("T91", "train", "T91/HR", licence=_ACADEMIC + " Yang et al., TIP 2010."),
    DatasetSpec("DIV2K_train", "train", "DIV2K/DIV2K_train_HR",
                obtain="Run `srnas data fetch div2k --split train` (downloads DIV2K_train_HR.zip, 0001-0800).",
                licence="DIV2K (Agustsson & Timofte, CVPRW 2017): academic research use only."),
    DatasetSpec("DIV2K_valid", "train", "DIV2K/DIV2K_valid_HR",
                obtain="Run `srnas data fetch div2k --split valid` (downloads DIV2K_valid_HR.zip, 0801-0900).",
                licence="DIV2K (Agustsson & Timofte, CVPRW 2017): academic research use only."),
]
DATASETS: dict[str, DatasetSpec] = {s.name: s for s in _SPECS}
BENCHMARKS: tuple[str, ...] = tuple(s.name for s in _SPECS if s.role == "benchmark")


def get_spec(name: str) -> DatasetSpec:
    try:
        return DATASETS[name]
    except KeyError:
        raise DatasetError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}") from None


@lru_cache(maxsize=None)
def load_manifest(name: str) -> dict:
    """The committed manifest of a set (see make_manifests.py): file paths, sha256 and sizes."""
    path = MANIFEST_DIR / f"{get_spec(name).name}.json"
    if not path.is_file():
        raise DatasetError(f"manifest {path} is missing; regenerate it with python -m srnas.datasets.make_manifests")
    return json.loads(path.read_text())
