"""Cross-engine check: every headline family's pyfixest estimates against linearmodels.

A coefficient passes when |b_pf - b_lm| <= coef_rtol * max(|b_pf|, |b_lm|) and
|se_pf - se_lm| <= se_tol (absolute), and both engines used the same rows.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from upgrading.core import io, registry
from upgrading.core.errors import InputError

from . import design as dsg
from .engine_linearmodels import Absorbed, estimate_model

log = logging.getLogger(__name__)

COLUMNS = ["family", "model", "term", "estimate_pyfixest", "estimate_linearmodels", "coef_rel_diff",
           "se_pyfixest", "se_linearmodels", "se_abs_diff", "se_rel_diff", "nobs_pyfixest",
           "nobs_linearmodels", "vcov", "ssc_factor", "df_k", "ok"]


def compare_family(df: pd.DataFrame, family: dict, est: pd.DataFrame, coef_rtol: float,
                   se_tol: float, data_file: str = "<data>") -> pd.DataFrame:
    design = dsg.build(df, family, data_file=data_file)
    absorbed = Absorbed()  # models sharing rows and effects share one absorption
    rows = []
    for m in family["models"]:
        if m["estimator"] != "ols":
            continue
        lm = estimate_model(design, m, absorbed, panel=family["panel"])
        pf_rows = est[est["model"] == m["id"]]
        if pf_rows.empty:
            raise InputError(f"no pyfixest estimates for model {m['id']}", column="model")
        pf_by_term = pf_rows.set_index("term")
        for label, name in dsg.term_labels(design, m):
            if label not in pf_by_term.index:
                continue  # dropped as collinear by pyfixest (logged there)
            r = pf_by_term.loc[label]
            b_lm, se_lm = lm["coef"].get(name, (np.nan, np.nan))
            b_pf, se_pf = float(r["estimate"]), float(r["std_error"])
            rel = abs(b_pf - b_lm) / max(abs(b_pf), abs(b_lm), 1e-12)
            se_abs = abs(se_pf - se_lm)
            ok = bool(rel <= coef_rtol and se_abs <= se_tol and int(r["nobs"]) == lm["nobs"])
            rows.append({
                "family": family["id"], "model": m["id"], "term": label,
                "estimate_pyfixest": b_pf, "estimate_linearmodels": b_lm, "coef_rel_diff": rel,
                "se_pyfixest": se_pf, "se_linearmodels": se_lm, "se_abs_diff": se_abs,
                "se_rel_diff": se_abs / max(se_pf, 1e-300), "nobs_pyfixest": int(r["nobs"]),
                "nobs_linearmodels": lm["nobs"], "vcov": r["vcov"], "ssc_factor": lm["factor"],
                "df_k": lm["df_k"], "ok": ok,
            })
    return pd.DataFrame(rows, columns=COLUMNS)


def run(data_path: str, specs_path: str, estimate_paths: list[str], out: str,
        coef_rtol: float = 1e-6, se_tol: float = 1e-4) -> bool:
    """Compare every headline family whose estimates are given; write the CSV; True if all pass."""
    spec = registry.load(specs_path)
    estimates = {}
    for p in estimate_paths:
        est = pd.read_parquet(p)
        fams = est["family"].unique().tolist()
        if len(fams) != 1:
            raise InputError(f"expected one family per estimates file, found {fams}", file=p, column="family")
        estimates[fams[0]] = est
    families = [registry.resolve_family(spec, f, source=specs_path)
                for f in registry.family_ids(spec) if f in estimates]
    families = [f for f in families if f["headline"] and f["engine"] == "pyfixest"]
    missing = [f["id"] for f in (registry.resolve_family(spec, i) for i in registry.family_ids(spec))
               if f["headline"] and f["id"] not in estimates]
    if missing:
        raise InputError(f"estimates of headline families missing: {', '.join(missing)}", file=specs_path)
    import pyarrow.parquet as pq

    available = pq.read_schema(data_path).names
    cols = set()
    for f in families:
        registry.check_columns(f, available, data_file=data_path)
        cols |= registry.columns_needed(f)
    df = pd.read_parquet(data_path, columns=sorted(cols))  # read once for every family
    parts = []
    for f in families:
        part = compare_family(df, f, estimates[f["id"]], coef_rtol, se_tol, data_file=data_path)
        bad = part[~part["ok"]]
        log.info("%s: %d coefficients, max coef rel diff %.2e, max SE abs diff %.2e, %d failing",
                 f["id"], len(part), part["coef_rel_diff"].max(), part["se_abs_diff"].max(), len(bad))
        parts.append(part)
    result = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)
    io.write_csv(result, out, float_format="%.12g")
    return bool(result["ok"].all())
