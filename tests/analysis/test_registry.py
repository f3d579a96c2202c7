"""The registry: schema, defaults, grid expansion, rejection of bad specs with clear errors."""

import copy
import json

import pytest
import yaml

from upgrading.core import registry
from upgrading.core.errors import InputError
from upgrading.measures.codebook import analysis_columns

from .conftest import SPECS


def _minimal():
    return {
        "version": 1,
        "samples": {"dom": [{"column": "domestic", "equals": True}, {"column": "year", "between": [1998, 2001]}]},
        "families": [{
            "id": "fam", "title": "A family",
            "defaults": {"outcome": "tfp_acf", "regressors": ["backward"], "fixed_effects": ["firm_id", "year"],
                         "vcov": {"cluster": "industry2"}, "sample": "dom"},
            "models": [{"id": "a"}, {"id": "b", "vcov": "hetero", "regressors": ["l(backward, 1)"]}],
        }],
    }


def test_repository_registry_is_valid(registry_spec):
    ids = registry.family_ids(registry_spec)
    for needed in ["baseline", "validation", "hmt_vs_other", "local_national", "upgrading", "heterogeneity",
                   "policy_iv", "event_study", "robustness", "spec_curve", "export_probit"]:
        assert needed in ids
    base = registry.resolve_family(registry_spec, "baseline")
    assert base["headline"] and [m["id"] for m in base["models"]] == ["firm_year", "firm_cityyear", "city_ind_year"]
    assert base["models"][0]["vcov"] == {"cluster": "industry2"}
    assert base["samples"] == {"domestic": [{"column": "domestic", "equals": True}]}


def test_defaults_and_overrides():
    fam = registry.resolve_family(_minimal(), "fam")
    a, b = fam["models"]
    assert a["vcov"] == {"cluster": "industry2"} and b["vcov"] == "hetero"
    assert a["regressors"] == ["backward"] and b["regressors"] == ["l(backward, 1)"]
    assert a["controls"] == [] and a["weights"] is None and a["estimator"] == "ols"
    assert fam["panel"] == {"id": "firm_id", "time": "year"}
    assert registry.columns_needed(fam) == {"tfp_acf", "backward", "firm_id", "year", "industry2", "domestic"}


def test_grid_expands_to_the_product(registry_spec):
    curve = registry.resolve_family(registry_spec, "spec_curve")
    assert len(curve["models"]) == 4 * 3 * 2
    assert len({m["id"] for m in curve["models"]}) == 24
    assert {m["outcome"] for m in curve["models"]} == {"tfp_acf", "tfp_lp", "tfp_fe", "tfp_ols"}


def test_family_json_is_canonical_and_changes_only_with_its_family(registry_spec):
    j1 = registry.family_json(registry_spec, "baseline")
    assert json.loads(j1)["id"] == "baseline"
    other = copy.deepcopy(registry_spec)
    fam = next(f for f in other["families"] if f["id"] == "upgrading")
    fam["models"][0]["label"] = "changed"
    assert registry.family_json(other, "baseline") == j1
    assert registry.family_json(other, "upgrading") != registry.family_json(registry_spec, "upgrading")


@pytest.mark.parametrize("mutate, message", [
    (lambda s: s["families"][0]["defaults"].update(regressors=['I(__import__("os").system("echo x"))']),
     "unexpected character"),
    (lambda s: s["families"][0]["defaults"].update(regressors=["backward + forward"]), "unexpected"),
    (lambda s: s["families"][0]["defaults"].update(fixed_effects=["city*year"]), "schema violation"),
    (lambda s: s["families"][0]["defaults"].update(vcov={"cluster": "a", "extra": 1}), "schema violation"),
    (lambda s: s["families"][0]["defaults"].update(vcov="HC3"), "schema violation"),
    (lambda s: s["families"][0]["defaults"].update(sample="nowhere"), "sample 'nowhere' is not defined"),
    (lambda s: s["families"][0]["defaults"].update(eval="x"), "schema violation"),
    (lambda s: s["families"][0]["models"].append({"id": "a"}), "duplicate model id"),
    (lambda s: s["families"].append(copy.deepcopy(s["families"][0])), "duplicate family id"),
    (lambda s: s["samples"]["dom"].append({"column": "year", "query": "year > 2000"}), "schema violation"),
    (lambda s: s["families"][0]["defaults"].update(estimator="probit"), "needs engine: statsmodels"),
    (lambda s: s["families"][0]["defaults"].update(outcome="np.log(y)"), "schema violation"),
    (lambda s: s["families"][0]["models"][1].update(inference={"wild": {"reps": 999, "seed": 1}}), "one-way"),
    (lambda s: s["families"][0]["defaults"].update(inference={"wild": {"reps": 999, "seed": 1, "weights": "mammen"}}),
     "schema violation"),
    (lambda s: s["families"][0]["models"][0].update(inference={"joint": {"name": "pre", "terms": ["backward"]}}),
     "uses the CRV3 covariance: set inference: crv3: true"),
    (lambda s: s["families"][0]["models"][0].update(inference={"crv3": True, "joint": {"name": "pre", "terms": []}}),
     "schema violation"),
])
def test_bad_specs_are_rejected_with_a_clear_error(mutate, message):
    spec = _minimal()
    mutate(spec)
    with pytest.raises(InputError, match=message):
        registry.validate(spec, source="specs.yaml")


def test_unknown_column_rejected_naming_it():
    fam = registry.resolve_family(_minimal(), "fam")
    with pytest.raises(InputError, match=r"(?s)column 'backward'.*model a, term 'backward': no column 'backward'"):
        registry.check_columns(fam, ["tfp_acf", "firm_id", "year", "industry2", "domestic"], data_file="a.parquet")


def test_load_names_the_file(tmp_path):
    p = tmp_path / "specs.yaml"
    bad = _minimal()
    bad["families"][0]["defaults"]["regressors"] = ['I(__import__("os").system("rm -rf /"))']
    p.write_text(yaml.safe_dump(bad))
    with pytest.raises(InputError, match=r"file .*specs.yaml: family fam, model a: unexpected character"):
        registry.load(p)
    assert registry.load(SPECS)["families"]


def test_the_repository_registry_meets_the_analysis_contract():
    registry.check_contract(registry.load(SPECS), analysis_columns(), source=str(SPECS))


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda f: f["defaults"]["regressors"].__setitem__(0, "horizontl_hmt"),
     "family baseline, model firm_year, term 'horizontl_hmt': no column 'horizontl_hmt' in the analysis "
     "table (did you mean 'horizontal_hmt'"),
    (lambda f: f["models"][1].__setitem__("fixed_effects", ["firm_id", "cty^year"]),
     "family baseline, model firm_cityyear, fixed effect 'cty^year': no column 'cty' in the analysis "
     "table (did you mean 'city'"),
])
def test_contract_names_family_model_term_and_suggests(mutate, expected):
    spec = registry.load(SPECS)
    mutate(next(f for f in spec["families"] if f["id"] == "baseline"))
    with pytest.raises(InputError) as err:
        registry.check_contract(spec, analysis_columns(), source="specs.yaml")
    assert expected in str(err.value)
    assert str(err.value).startswith("file specs.yaml")
