"""What a Monte Carlo draw's world computes: the productivity keys it replaces and the models its
estimate jobs fit (estimation.montecarlo.productivity, target_models_only)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from upgrading.analysis import settings
from upgrading.core.errors import InputError
from upgrading.productivity import settings as productivity_settings

CONFIG = yaml.safe_load((Path(__file__).resolve().parents[2] / "config/config.yaml").read_text(encoding="utf-8"))


def test_the_configured_draws_estimate_acf_only_without_bootstrap_and_only_target_models():
    mc = settings.from_mapping(CONFIG["estimation"]).montecarlo
    section = settings.draw_productivity(CONFIG["productivity"], mc.productivity, "acf")
    cfg = productivity_settings.from_mapping(section)
    assert cfg.methods == ("acf",) and cfg.bootstrap_reps == 0
    # every other key is the main world's, so the ACF search (starts, seed, tolerances) is the same
    assert {k: v for k, v in section.items() if k not in ("methods", "bootstrap_reps")} == {
        k: v for k, v in CONFIG["productivity"].items() if k not in ("methods", "bootstrap_reps")}
    assert mc.target_models_only


def test_no_overrides_leave_the_section_as_it_is():
    section = {"methods": ["ols", "lp", "acf"], "bootstrap_reps": 20, "seed": 3}
    assert settings.draw_productivity(section, settings.DrawProductivity(), "lp") == section


def test_the_draws_must_keep_the_measures_tfp_method():
    draw = settings.from_mapping({"montecarlo": {"productivity": {"methods": ["ols", "fe"]}}}).montecarlo.productivity
    with pytest.raises(InputError, match="lacks measures.tfp_method 'acf'"):
        settings.draw_productivity({"methods": ["ols", "fe", "lp", "acf"]}, draw, "acf")


@pytest.mark.parametrize("bad", [{"methods": ["acf", "gmm"]}, {"bootstrap_reps": "none"}, {"reps": 0}])
def test_unknown_methods_and_keys_are_errors(bad):
    with pytest.raises(InputError, match="estimation.montecarlo.productivity"):
        settings.from_mapping({"montecarlo": {"productivity": bad}})


def test_target_models_of_a_family_in_target_order():
    targets = settings.VALIDATION_TARGETS
    assert settings.target_models(targets, "baseline") == ["firm_year"]
    assert settings.target_models(targets, "validation") == ["local", "structural"]
    assert settings.target_models(targets, "heterogeneity") == []
