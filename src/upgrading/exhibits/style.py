"""One matplotlib style for every figure, and a deterministic save.

Figures are written twice: vector PDF for the paper, PNG for the Snakemake report.
Matplotlib stamps a creation date and its own version into both files; we clear
those so the same data gives the same bytes (SOURCE_DATE_EPOCH alone does not
cover the PNG "Software" chunk).
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display in the DAG; must precede pyplot import
import matplotlib.pyplot as plt  # noqa: E402

from upgrading.core.io import atomic_path  # noqa: E402

# Colour-blind-safe palette (Okabe-Ito), fixed order so a group keeps its colour across figures.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

RC = {
    "font.family": "serif",
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "0.88",
    "grid.linewidth": 0.6,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "lines.linewidth": 1.4,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "pdf.fonttype": 42,  # embed TrueType so text stays searchable in the paper
    "svg.hashsalt": "upgrading",
}

# Full text width of the article class with 1in margins is ~6.5in.
WIDTH = 6.3


def apply() -> None:
    """Install the shared style (idempotent)."""
    plt.rcParams.update(RC)


def savefig(fig, pdf_path: str | os.PathLike, png_path: str | os.PathLike | None = None) -> None:
    """Write `fig` as PDF (and PNG) atomically, without timestamps or version strings."""
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    with atomic_path(pdf_path) as tmp:
        fig.savefig(tmp, format="pdf",
                    metadata={"CreationDate": None, "ModDate": None, "Producer": None,
                              "Creator": None})
    if png_path is not None:
        with atomic_path(png_path) as tmp:
            fig.savefig(tmp, format="png", metadata={"Software": None})
    plt.close(fig)


def figure(height: float = 3.0, ncols: int = 1, nrows: int = 1, **kwargs):
    apply()
    return plt.subplots(nrows, ncols, figsize=(WIDTH, height), **kwargs)


def blank(height: float = 3.0, **kwargs):
    """A figure without axes (for subfigures), at the shared width and style."""
    apply()
    return plt.figure(figsize=(WIDTH, height), **kwargs)


def out_paths(outdir: str | os.PathLike, name: str) -> tuple[Path, Path]:
    d = Path(outdir)
    return d / f"{name}.pdf", d / f"{name}.png"
