"""Every figure draws from contract-shaped inputs, and saving twice gives identical bytes."""

from __future__ import annotations

import pandas as pd

from upgrading.exhibits import figures, style

from .fixture_data import FIXTURES, LABELS


def _save_twice(fig_fn, tmp_path, name):
    paths = []
    for k in (1, 2):
        fig = fig_fn()
        pdf, png = tmp_path / f"{name}{k}.pdf", tmp_path / f"{name}{k}.png"
        style.savefig(fig, pdf, png)
        paths.append((pdf.read_bytes(), png.read_bytes()))
    assert paths[0] == paths[1], f"{name}: output bytes differ between two saves"
    assert paths[0][0].startswith(b"%PDF") and paths[0][1].startswith(b"\x89PNG")
    assert b"CreationDate" not in paths[0][0]


def test_data_figures_deterministic(tmp_path, analysis):
    _save_twice(lambda: figures.foreign_presence(analysis), tmp_path, "fp")
    _save_twice(lambda: figures.smile_curve(analysis, {17: "Textiles"}), tmp_path, "smile")
    _save_twice(lambda: figures.clusters(analysis, 5), tmp_path, "clusters")


def test_estimate_figures(tmp_path, baseline_est, event_est):
    terms = ["horizontal_hmt", "horizontal_other", "backward", "forward"]
    _save_twice(lambda: figures.coefficients(baseline_est, terms, LABELS), tmp_path, "coef")
    _save_twice(lambda: figures.event_study(event_est, 2001), tmp_path, "event")
    _save_twice(lambda: figures.spec_curve(baseline_est, "backward", "Backward"), tmp_path, "curve")
    val = pd.read_csv(FIXTURES / "validation.csv")
    _save_twice(lambda: figures.recovery(val, LABELS), tmp_path, "recovery")


def test_event_study_includes_reference_year(event_est):
    fig = figures.event_study(event_est, ref_year=2001)
    xs = sorted(round(x) for x in fig.axes[0].lines[0].get_xdata())
    assert xs == [1998, 1999, 2000, 2001, 2002, 2003, 2004]
