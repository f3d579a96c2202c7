"""Inputs of the exhibits tests, following docs/contracts.md: hand-made tidy estimates
(fixtures/*.csv), a tiny analysis panel, and contract-shaped stand-ins for every upstream file
the exhibits read, built from the real registry (`make_results`: the whole paper without
running the pipeline; each registry model gets tidy estimates for its terms, i() expanded to
pyfixest's 'var::level:x' names, plus an analysis panel, cleaning audit, cross-check and
validation tables)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

from upgrading.core import registry
from upgrading.core.cluster_rule import ClusterRule
from upgrading.core.clusters import cluster_indicator

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
LABELS = {"horizontal_hmt": "Horizontal (HMT)", "horizontal_other": "Horizontal (other foreign)",
          "backward": "Backward", "forward": "Forward", "tfp_acf": "TFP (ACF)", "firm_id": "Firm",
          "year": "Year", "city": "City", "industry2": "Industry", "encouraged": "Encouraged"}


def read_estimates(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / name)


def make_analysis(n_firms: int = 120, seed: int = 7) -> pd.DataFrame:
    """A small firm-year panel with the analysis.parquet columns the exhibits read."""
    rng = np.random.default_rng(seed)
    years = np.arange(1998, 2008)
    regions = ["prd", "yrd", "bohai", "other_coastal", "central", "western"]
    owners = ["soe", "collective", "private", "hmt", "foreign"]
    firm_city = rng.choice([440100, 440300, 310100, 320500, 110100, 420100, 510100], n_firms)
    city_region = {440100: "prd", 440300: "prd", 310100: "yrd", 320500: "yrd", 110100: "bohai",
                   420100: "central", 510100: "western"}
    firm_ind = rng.choice([17, 18, 19, 26, 35, 39, 40], n_firms)
    firm_own = rng.choice(owners, n_firms, p=[0.15, 0.1, 0.5, 0.12, 0.13])
    rows = []
    for f in range(n_firms):
        for y in years:
            own = firm_own[f]
            fs = 0.0 if own in {"soe", "collective", "private"} else rng.uniform(0.3, 1.0)
            rows.append({
                "firm_id": f + 1, "year": int(y), "city": int(firm_city[f]),
                "region": city_region[int(firm_city[f])], "industry2": int(firm_ind[f]),
                "ownership": own, "domestic": fs == 0.0, "foreign_share": fs,
                "output": float(rng.lognormal(8, 1)), "va_ratio": float(rng.uniform(0.15, 0.4)),
                "horizontal": float(rng.uniform(0, 0.5)), "backward": float(rng.uniform(0, 0.4)),
                "forward": float(rng.uniform(0, 0.4)), "exporter": bool(rng.random() < 0.3),
                "encouraged": bool(firm_ind[f] in (39, 40)),
            })
    df = pd.DataFrame(rows)
    df["post2002"] = (df["year"] >= 2003).astype("int8")  # measures.post_from_year's default
    assert set(df["region"]) <= set(regions)
    # Location quotient of city x industry x year from output shares (as the measures stage defines it).
    ci = df.groupby(["city", "industry2", "year"])["output"].transform("sum")
    c = df.groupby(["city", "year"])["output"].transform("sum")
    i = df.groupby(["industry2", "year"])["output"].transform("sum")
    t = df.groupby("year")["output"].transform("sum")
    df["location_quotient"] = (ci / c) / (i / t)
    # Firms per cell and the cluster indicator by the measures stage's default rule.
    df["n_firms_cell"] = df.groupby(["city", "industry2", "year"])["firm_id"].transform("size").astype("int64")
    rule = ClusterRule()
    df["cluster"] = cluster_indicator(df["location_quotient"], df["n_firms_cell"], df["location_quotient"] * np.nan,
                                      rule.lq_threshold, rule.cluster_min_firms, None)
    return df


def _expand(term: str) -> list[str]:
    m = re.fullmatch(r"i\(\s*(\w+)\s*,\s*(\w+)\s*,\s*ref\s*=\s*(\d+)\s*\)", term)
    if m:
        return [f"{m.group(1)}::{y}:{m.group(2)}" for y in range(1998, 2008) if y != int(m.group(3))]
    return [term]


def make_estimates(family: dict, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for m in family["models"]:
        iv = m.get("iv") or {}
        terms = [t for raw in list(iv.get("endog", [])) + list(m["regressors"]) + list(m["controls"])
                 for t in _expand(raw)]
        fe = "+".join(m["fixed_effects"])
        v = m["vcov"]
        vcov = "CRV1:" + (v["cluster"] if isinstance(v["cluster"], str) else "+".join(v["cluster"])) \
            if isinstance(v, dict) else "HC1"
        for t in terms:
            b, se = rng.normal(0, 0.3), abs(rng.normal(0.1, 0.03)) + 0.01
            rows.append({
                "family": family["id"], "model": m["id"], "term": t, "estimate": b, "std_error": se,
                "p_value": float(min(1.0, abs(rng.normal(0, 0.1)))), "ci_low": b - 1.96 * se,
                "ci_high": b + 1.96 * se, "nobs": 5000, "n_clusters": 30, "r2": 0.7,
                "r2_within": 0.05 if "firm_id" in fe else np.nan, "depvar": m["outcome"],
                "depvar_mean": 1.2, "fixed_effects": fe, "vcov": vcov, "engine": family["engine"],
                "sample": m["sample"] or "all",
                "p_value_wild": 0.04 if (m.get("inference") or {}).get("wild") else np.nan,
                "marginal_effect": b / 3 if family["engine"] == "statsmodels" else np.nan,
                # weak-instrument diagnostics on the endogenous term of a 2SLS model
                **({"first_stage_f": 12.5, "ar_ci_low": b - 3 * se, "ar_ci_high": b + 3 * se,
                    "ar_set": f"[{b - 3 * se:.3f}, {b + 3 * se:.3f}]"}
                   if t in iv.get("endog", []) else
                   {"first_stage_f": np.nan, "ar_ci_low": np.nan, "ar_ci_high": np.nan, "ar_set": ""}),
            })
    return pd.DataFrame(rows)


def make_results(root: Path, specs: Path) -> dict:
    """Write results/estimates/*.parquet, audit, crosscheck, validation and the analysis table."""
    spec = registry.load(specs)
    fams = [registry.resolve_family(spec, f) for f in registry.family_ids(spec)]
    est_dir = root / "results" / "estimates"
    est_dir.mkdir(parents=True, exist_ok=True)
    for k, fam in enumerate(fams):
        make_estimates(fam, seed=k).to_parquet(est_dir / f"{fam['id']}.parquet", index=False)
    (root / "results" / "audit").mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"rule": ["duplicates", "assets"], "rows_dropped": [10, 20],
                  "rows_left": [990, 970]}).to_csv(root / "results/audit/cleaning.csv", index=False)
    pd.DataFrame({"family": ["baseline"], "model": ["firm_year"], "term": ["backward"],
                  "coef_rel_diff": [1e-9], "se_abs_diff": [2e-7]}).to_csv(
        est_dir / "crosscheck.csv", index=False)
    val = pd.DataFrame({"family": "validation", "model": "structural",
                        "term": ["horizontal_hmt", "backward", "forward"], "estimate": [-0.1, 0.4, 0.05],
                        "std_error": [0.05, 0.1, 0.05], "truth": [-0.12, 0.35, 0.0]})
    val["z"] = (val["estimate"] - val["truth"]) / val["std_error"]
    val.to_csv(est_dir / "validation.csv", index=False)
    proc = root / "data" / "processed"
    proc.mkdir(parents=True, exist_ok=True)
    make_analysis().to_parquet(proc / "analysis.parquet", index=False)
    raw = root / "data" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"industry4": [1711], "industry2": [17], "industry2_name": ["Textiles"],
                  "industry4_name": ["Cotton"]}).to_csv(raw / "industries.csv", index=False)
    pd.DataFrame({"city": [440100, 440300, 310100, 320500, 110100, 420100, 510100],
                  "city_name": ["广州市", "深圳市", "上海市", "苏州市", "北京市", "武汉市", "成都市"]}).to_csv(
        raw / "cities.csv", index=False)
    return {"families": fams, "spec": spec}


def compile_latex(folder: Path, preamble: str, body: str, files: dict[str, str] | None = None) -> str:
    """Compile a small article (`preamble`: its \\usepackage lines, `body` inside the document) in
    `folder` with latexmk, after writing `files` (name -> text) beside it; assert it builds and
    return the log."""
    for name, text in (files or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "doc.tex").write_text(f"\\documentclass{{article}}{preamble}\\begin{{document}}"
                                    f"{body}\\end{{document}}\n", encoding="utf-8")
    run = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                         cwd=folder, capture_output=True, text=True, timeout=180)
    log = (folder / "doc.log").read_text(errors="replace")
    assert run.returncode == 0, log[-3000:]
    return log
