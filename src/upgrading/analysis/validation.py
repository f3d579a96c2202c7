"""Pipeline validation: estimates against the synthetic world's true parameters.

Each estimated term of a target model (config estimation.validation: family, model, the key
of truth/parameters.json holding its true values, the key of oracle.json holding its oracle)
gets a row: estimate, SE, truth, z = (estimate - truth) / SE, whether the
truth lies within two SEs and inside the 95% interval, and, where truth/oracle.json has it,
the oracle estimate (the same regression on true omega and true measures), which separates
errors of the estimator from errors of cleaning/TFP/measures.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from upgrading.analysis.settings import ValidationTarget
from upgrading.core.errors import InputError

# Estimated term -> key of parameters.json["spillovers"]. Plain measures map to themselves;
# the DGP's interactions are spelled as the registry's interaction terms.
TERM_TO_PARAM = {
    "horizontal_hmt": "horizontal_hmt",
    "horizontal_other": "horizontal_other",
    "horizontal_local": "horizontal_local",
    "backward": "backward",
    "forward": "forward",
    "backward:post2002": "backward_post2002",
    "horizontal_hmt:cluster": "cluster_x_horizontal_hmt",
}
COLUMNS = ["family", "model", "term", "param", "source", "estimate", "std_error", "ci_low", "ci_high",
           "truth", "error", "z", "within_2se", "covered95", "oracle_estimate", "oracle_std_error", "nobs",
           "std_error_crv3", "covered95_crv3", "ci_low_wild", "ci_high_wild", "covered95_wild"]


# Which estimates are compared with which part of the truth (config estimation.validation):
# `spillovers` / `spillovers_local` / `spillovers_structural` hold the estimands of the baseline,
# local and structural regressions: the DGP's spillover term projected on their regressors plus
# the survey threshold's selection term and the within-cell feedback (upgrading.synth.truth); the
# structural projection would be the DGP's parameters if its cluster indicator were the DGP's
# cluster cells, but it is the measures stage's indicator (oracle.json cluster_regressor).
def read_json(path: str | None, what: str) -> dict:
    if not path:
        return {}
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the {what}: {exc}", file=path) from exc


def _numbers(d) -> dict[str, float]:
    if not isinstance(d, dict):
        return {}
    return {k: float(v) for k, v in d.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def oracle_terms(obj) -> dict[str, tuple[float, float]]:
    """term -> (estimate, se) from an oracle entry {terms: {t: {estimate, std_error}}} (or flat)."""
    if not isinstance(obj, dict):
        return {}
    obj = obj.get("terms", obj)
    out = {}
    for k, v in obj.items():
        if isinstance(v, dict) and "estimate" in v:
            out[k] = (float(v["estimate"]), float(v.get("std_error", math.nan)))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[k] = (float(v), math.nan)
    return out


def compare(est: pd.DataFrame, truth_obj: dict, oracle_obj: dict | None,
            targets: Sequence[ValidationTarget]) -> pd.DataFrame:
    """One row per estimated term of each target model that has a true value."""
    rows = []
    for tg in targets:
        sub = est[(est["family"] == tg.family) & (est["model"] == tg.model)]
        truth = _numbers(truth_obj.get(tg.truth))
        oracle = oracle_terms((oracle_obj or {}).get(tg.oracle or "", {}))
        for r in sub.itertuples(index=False):
            param = TERM_TO_PARAM.get(r.term, r.term) if tg.truth == "spillovers_structural" else r.term
            if param not in truth:
                continue
            t = truth[param]
            z = (r.estimate - t) / r.std_error if r.std_error > 0 else math.nan
            o_est, o_se = oracle.get(r.term, (math.nan, math.nan))
            rows.append({
                "family": r.family, "model": r.model, "term": r.term, "param": param, "source": tg.truth,
                "estimate": r.estimate, "std_error": r.std_error, "ci_low": r.ci_low, "ci_high": r.ci_high,
                "truth": t, "error": r.estimate - t, "z": z, "within_2se": bool(abs(z) <= 2),
                "covered95": bool(r.ci_low <= t <= r.ci_high), "oracle_estimate": o_est,
                "oracle_std_error": o_se, "nobs": r.nobs,
                **_few_cluster_coverage(r._asdict(), t),
            })
    return pd.DataFrame(rows, columns=COLUMNS)


def _few_cluster_coverage(r: dict, truth: float) -> dict:
    """CRV3 and WCR intervals of an estimate and whether they cover the truth (NaN if not estimated)."""
    out = {"std_error_crv3": r.get("std_error_crv3", math.nan), "ci_low_wild": r.get("ci_low_wild", math.nan),
           "ci_high_wild": r.get("ci_high_wild", math.nan)}
    for kind, (lo, hi) in (("crv3", ("ci_low_crv3", "ci_high_crv3")), ("wild", ("ci_low_wild", "ci_high_wild"))):
        low, high = r.get(lo, math.nan), r.get(hi, math.nan)
        out[f"covered95_{kind}"] = math.nan if pd.isna(low) or pd.isna(high) else float(low <= truth <= high)
    return out


def compare_files(estimate_paths, truth_path: str, oracle_path: str | None,
                  targets: Sequence[ValidationTarget]) -> pd.DataFrame:
    if isinstance(estimate_paths, str):
        estimate_paths = [estimate_paths]
    est = pd.concat([pd.read_parquet(p) for p in estimate_paths], ignore_index=True)
    out = compare(est, read_json(truth_path, "truth"), read_json(oracle_path, "oracle"), targets)
    if out.empty:
        raise InputError("no estimated term matches a parameter of the truth", file=truth_path)
    return out
