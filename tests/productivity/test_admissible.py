"""The admissibility rule of LP/ACF solutions: a spurious ACF root (labour near 1, capital
near 0) is never reported as an estimate; with a declared fallback it is marked."""

import io

import numpy as np
import pandas as pd
import pytest

from upgrading.productivity import acf, search
from upgrading.productivity.by_industry import EstimationError, estimate_industry
from upgrading.productivity.settings import from_mapping

from .builders import TRUE_K, TRUE_L, simulate_static_labour

SPURIOUS_START = np.array([[1.0, 0.05]])


@pytest.fixture(scope="module")
def world() -> dict[str, np.ndarray]:
    return simulate_static_labour(1000, 6, seed=1)


def test_rule_names_every_failure():
    s = search.SearchSettings()
    assert search.inadmissible(np.array([0.4, 0.3]), s, np.array([0.45])) == ""
    assert "non-positive" in search.inadmissible(np.array([0.4, -0.1]), s)
    assert "max_elasticity" in search.inadmissible(np.array([1.6, 0.3]), s)
    assert "returns_to_scale" in search.inadmissible(np.array([0.1, 0.1]), s)
    assert "returns_to_scale" in search.inadmissible(np.array([1.2, 0.9]), s)
    why = search.inadmissible(np.array([0.96, 0.05]), s, np.array([0.45]))
    assert "labour_band 0.3" in why and "0.510" in why
    off = search.SearchSettings(labour_band=None)
    assert search.inadmissible(np.array([0.96, 0.05]), off, np.array([0.45])) == ""


def test_constructed_world_has_a_spurious_root_beside_the_truth(world):
    est = acf.estimate(world, acf.Settings())
    roots = [tuple(map(float, s.split("/"))) for s in est["solutions"].split("; ")]
    assert est["converged"] and est["roots"] == 2
    assert est["beta_l"] == pytest.approx(TRUE_L, abs=0.03)
    assert est["beta_k"] == pytest.approx(TRUE_K, abs=0.03)
    spurious = [r for r in roots if r[0] > 0.9]
    assert len(spurious) == 1 and 0 < spurious[0][1] < 0.1  # positive signs: only the band rejects it


def test_spurious_root_alone_is_not_an_estimate(world):
    est = acf.estimate(world, acf.Settings(), starts=SPURIOUS_START)
    assert not est["converged"] and est["beta_l"] > 0.9 and est["beta_k"] > 0
    assert "LP's first stage" in est["message"] and "labour_band" in est["message"]
    # without the band the same root would pass as a converged estimate
    off = acf.estimate(world, acf.Settings(), starts=SPURIOUS_START,
                       search_settings=search.SearchSettings(labour_band=None))
    assert off["converged"]


def _frame(world) -> pd.DataFrame:
    return pd.DataFrame({"firm_id": world["firm"], "year": world["year"], "industry2": 13,
                         **{c: world[c] for c in ("y", "l", "k", "m")}})


def test_spurious_root_stops_the_stage_or_is_marked(world, monkeypatch):
    monkeypatch.setattr(acf, "default_starts", lambda *a, **k: SPURIOUS_START)
    base = {"methods": ["fe", "acf"], "first_stage_effects": "none", "bootstrap_reps": 0}
    with pytest.raises(EstimationError, match=r"industry 13, ACF: no admissible root.*labour_band"):
        estimate_industry(_frame(world), 13, from_mapping(base), log=io.StringIO())
    rows, audit = estimate_industry(_frame(world), 13, from_mapping(base | {"fallback": {"acf": "fe"}}),
                                    log=io.StringIO())
    acf_row = next(r for r in rows if r["method"] == "acf")
    assert acf_row["status"] == "fallback_fe" and not acf_row["converged"]
    assert "labour_band" in acf_row["reason"]
    assert acf_row["beta_l"] == next(r for r in rows if r["method"] == "fe")["beta_l"]
    assert next(a for a in audit if a["method"] == "acf")["status"] == "fallback_fe"


def test_admissibility_settings_are_checked():
    from upgrading.core.errors import InputError

    cfg = from_mapping({"labour_band": None, "returns_to_scale": [0.5, 1.8], "max_elasticity": 1.2})
    assert cfg.search.labour_band is None and cfg.search.returns_to_scale == (0.5, 1.8)
    assert cfg.search.max_elasticity == 1.2
    for bad in ({"labour_band": 0}, {"returns_to_scale": [1.0, 0.5]}, {"max_elasticity": -1}):
        with pytest.raises(InputError, match="labour_band"):
            from_mapping(bad)
