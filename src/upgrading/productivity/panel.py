"""The firm-year panel of the production functions: the roles of the column map read from
the file, checked, and the columns estimation adds (first-stage groups, spillover controls)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from upgrading.core.errors import InputError
from upgrading.productivity import controls
from upgrading.productivity.settings import FIRST_STAGE_GROUP, FOREIGN_INVESTED


def _schema(path: str) -> list[str]:
    if str(path).endswith(".csv"):
        return list(pd.read_csv(path, nrows=0).columns)
    return pq.read_schema(path).names


def read_panel(path: str, cfg) -> pd.DataFrame:
    """The panel with the roles of `cfg.columns` under their internal names (y, l or l1.., k,
    m, firm_id, year, industry2, city). No industry column: one industry (code 0)."""
    present = set(_schema(path))
    cmap = cfg.columns
    wanted: dict[str, str] = {}  # input column -> internal name

    def need(role: str, why: str) -> None:
        for src, internal in zip(cmap.source(role), cmap.free if role == "l" else (role,)):
            if src not in present:
                raise InputError(f"required column is missing (role {role}, needed by {why}; "
                                 f"map it with --columns {role}=NAME or productivity.columns)",
                                 file=path, column=src)
            wanted[src] = internal

    for role in ("firm_id", "year", "y", "l", "k", "m"):
        need(role, "every production function")
    if cfg.first_stage_effects != "none":
        need("city", f"productivity.first_stage_effects: {cfg.first_stage_effects}; set it to "
                     "none for data without a city")
    one_industry = cmap.industry2 not in present and cmap.industry2 == "industry2"
    if not one_industry:
        need("industry2", "estimation by industry")
    if cfg.markov_year_effects_by == "foreign" and "foreign_share" not in present:
        raise InputError("required column is missing (needed by productivity.markov_year_effects_by: "
                         "foreign; set it to none for data without foreign ownership)",
                         file=path, column="foreign_share")
    if cfg.markov_year_effects_by == "foreign":
        wanted.setdefault("foreign_share", "foreign_share")
    if len(set(wanted.values())) != len(wanted):
        raise InputError(f"productivity.columns: two roles share an internal name ({wanted})")
    cols = list(wanted)
    raw = pd.read_csv(path, usecols=cols) if str(path).endswith(".csv") \
        else pd.read_parquet(path, columns=cols)
    panel = raw.rename(columns=wanted)[list(wanted.values())]
    if one_industry:
        panel["industry2"] = 0
    for col in ("firm_id", "year", "industry2"):
        bad = np.flatnonzero(panel[col].isna().to_numpy())
        if len(bad):
            src = next((s for s, i in wanted.items() if i == col), col)
            raise InputError("missing key values", file=path, column=src, rows=bad.tolist())
    dup = np.flatnonzero(panel.duplicated(["firm_id", "year"], keep=False).to_numpy())
    if len(dup):
        raise InputError("duplicate firm-year rows (0-based rows)", file=path,
                         column=cmap.firm_id, rows=dup.tolist())
    return panel


def add_estimation_columns(panel: pd.DataFrame, cfg) -> pd.DataFrame:
    """fs_group: the first-stage fixed-effect codes (city, or city x period); foreign_invested:
    1 where foreign_share > 0, 0 where it is 0, NaN where it is missing (the row is then
    counted as not usable, as a missing input is)."""
    out = panel.copy()
    if cfg.markov_year_effects_by == "foreign":
        share = out["foreign_share"].to_numpy(dtype=float)
        out[FOREIGN_INVESTED] = np.where(np.isnan(share), np.nan, (share > 0).astype(float))
    if cfg.first_stage_effects == "city":
        out[FIRST_STAGE_GROUP] = pd.factorize(out["city"])[0].astype(float)
    elif cfg.first_stage_effects == "city_period":
        out[FIRST_STAGE_GROUP] = (pd.factorize(out["city"])[0].astype(float) * 2
                                  + (out["year"] >= cfg.period_split_year).astype(float))
    return out


def prepare(panel: pd.DataFrame, cfg, io_table: pd.DataFrame | None,
            presence: pd.DataFrame | None = None) -> pd.DataFrame:
    """The panel estimation runs on: first-stage groups, the law-of-motion controls of
    `cfg.markov_controls` (over `presence`, with `io_table` for the vertical ones), sorted by
    industry, firm, year."""
    panel = add_estimation_columns(panel, cfg)
    if cfg.markov_controls:
        panel = controls.attach(panel, presence, cfg.markov_controls, io_table)
    return panel.sort_values(["industry2", "firm_id", "year"], kind="stable").reset_index(drop=True)
