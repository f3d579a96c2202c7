"""Cross-engine check: every headline family's pyfixest estimates against linearmodels.

A coefficient passes when |b_pf - b_lm| <= coef_rtol * max(|b_pf|, |b_lm|) and
|se_pf - se_lm| <= se_tol (absolute), and both engines used the same rows. Both engines'
numbers are compared as the tidy table stores them: rounded to 9 significant digits.

The DAG checks one family per job (`run` with `family`), so the families' checks start as
soon as their estimates exist and share the cores with the other jobs; `combine` joins their
files into the one table the exhibits read, in registry order, and requires every headline
family once.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from upgrading.core import io, registry
from upgrading.core.errors import InputError

from . import design as dsg
from .engine_linearmodels import Absorbed, estimate_model
from .tidy import round_significant

log = logging.getLogger(__name__)

COLUMNS = ["family", "model", "term", "estimate_pyfixest", "estimate_linearmodels", "coef_rel_diff",
           "se_pyfixest", "se_linearmodels", "se_abs_diff", "se_rel_diff", "nobs_pyfixest",
           "nobs_linearmodels", "vcov", "ssc_factor", "df_k", "ok"]


def compare_family(df: pd.DataFrame, family: dict, est: pd.DataFrame, coef_rtol: float,
                   se_tol: float, data_file: str = "<data>") -> pd.DataFrame:
    design = dsg.build(df, family, data_file=data_file)
    absorbed = Absorbed()  # models sharing rows and effects share one absorption
    for m in family["models"]:
        if m["estimator"] == "ols":
            absorbed.plan(design, m, family["panel"])
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
            # linearmodels' sums depend on the BLAS threads (a job's `threads`) in the last bits;
            # rounded as the tidy table rounds pyfixest's (9 significant digits, far inside the
            # tolerances), the table and its differences are the same bytes on any core count.
            b_lm, se_lm = round_significant(pd.Series(lm["coef"].get(name, (np.nan, np.nan)))).tolist()
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


def checked_families(spec: dict, specs_path: str = "<specs>") -> list[str]:
    """The families the check covers: headline families of the pyfixest engine, in registry order."""
    resolved = (registry.resolve_family(spec, f, source=specs_path) for f in registry.family_ids(spec))
    return [f["id"] for f in resolved if f["headline"] and f["engine"] == "pyfixest"]


def run(data_path: str, specs_path: str, estimate_paths: list[str], out: str,
        coef_rtol: float = 1e-6, se_tol: float = 1e-4, family: str | None = None,
        spec_sha256: str | None = None) -> bool:
    """Compare every headline family whose estimates are given (only `family` if named, its
    spec checked against `spec_sha256` when given); write the CSV; True if all pass."""
    spec = registry.load(specs_path)
    estimates = {}
    for p in estimate_paths:
        est = pd.read_parquet(p)
        fams = est["family"].unique().tolist()
        if len(fams) != 1:
            raise InputError(f"expected one family per estimates file, found {fams}", file=p, column="family")
        estimates[fams[0]] = est
    wanted = checked_families(spec, specs_path)
    if family is not None:
        if family not in wanted:
            raise InputError(f"family {family} is not a headline family of the pyfixest engine: the "
                             "cross-check covers only those", file=specs_path)
        from .estimate import resolve

        resolve(specs_path, family, spec_sha256)  # the rule's params agree with the file
        wanted = [family]
    families = [registry.resolve_family(spec, f, source=specs_path) for f in wanted if f in estimates]
    missing = [f for f in wanted if f not in estimates]
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


def combine(specs_path: str, part_paths: list[str], out: str) -> bool:
    """Join the one-family files of `run` into one table (their lines as written, registry
    order); every checked family exactly once. True if every coefficient passes."""
    header = ",".join(COLUMNS)
    lines: dict[str, list[str]] = {}
    for p in part_paths:
        with open(p, encoding="utf-8") as fh:
            text = fh.read().splitlines()
        if not text or text[0] != header:
            raise InputError(f"not a cross-check file (expected the header {header})", file=p)
        fams = {line.split(",", 1)[0] for line in text[1:]}
        if len(fams) != 1:
            raise InputError(f"expected the rows of one family, found {sorted(fams) or 'no rows'}", file=p,
                             column="family")
        (fam,) = fams
        if fam in lines:
            raise InputError(f"family {fam} given twice", file=p, column="family")
        lines[fam] = text[1:]
    wanted = checked_families(registry.load(specs_path), specs_path)
    missing = [f for f in wanted if f not in lines]
    if missing:
        raise InputError(f"cross-check files of headline families missing: {', '.join(missing)}", file=specs_path)
    extra = sorted(set(lines) - set(wanted))
    if extra:
        raise InputError(f"cross-check files of families the check does not cover: {', '.join(extra)}",
                         file=specs_path)
    rows = [line for f in wanted for line in lines[f]]
    io.write_text("\n".join([header, *rows]) + "\n", out)
    return all(line.rsplit(",", 1)[1] == "True" for line in rows)
