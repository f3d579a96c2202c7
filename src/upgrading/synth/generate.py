"""Generate the synthetic ASIF world into a folder: raw yearly files, side files, truth."""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from upgrading.core.cluster_rule import ClusterRule
from upgrading.core.io import write_text
from upgrading.synth import mess, records, truth, writer
from upgrading.synth import settings as synth_settings
from upgrading.synth.estimands import dumps, with_feedback
from upgrading.synth.geography import CITY_COLUMNS
from upgrading.synth.world import build_world

# The world's own truth when the feedback part comes from a job of its own (generate's
# feedback_later): parameters.json less the feedback part, joined to it by rule truth_parameters.
OWN_TRUTH = "parameters_before_feedback.json"


def normalise_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The `synth:` section checked (upgrading.synth.settings) as a plain mapping with int keys
    where the config means years or industry codes (JSON turns them into strings)."""
    return synth_settings.params(params)


def _log(msg: str, t0: float) -> None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MB (Linux reports kB)
    print(f"[synthesize {time.time() - t0:6.1f}s, peak {peak:6.0f} MB] {msg}", file=sys.stderr, flush=True)


def side_tables(world) -> dict[str, pd.DataFrame]:
    cls = world.classes.merge(world.divisions[["industry2", "industry2_name"]], on="industry2")
    return {
        "cities.csv": world.cities[CITY_COLUMNS],
        "industries.csv": cls[["industry4", "industry2", "industry2_name", "industry4_name"]]
        .sort_values("industry4"),
        "cic_concordance.csv": world.concordance,
        "io_table.csv": world.io,
        "deflators.csv": world.deflators,
        "investment_prices.csv": world.investment_prices,
        "fdi_catalogue_2002.csv": world.catalogue.sort_values("industry4"),
    }


def truth_table(truth_rows: pd.DataFrame, layout: mess.Layout, order: np.ndarray,
                source_row: np.ndarray) -> pa.Table:
    """truth/firms.parquet: one row per raw file line, keyed by (source_file, source_row)."""
    src = layout.src[order]
    copy = layout.copy[order]
    year = truth_rows["year"].to_numpy()[src]
    defect = np.where(copy == 1, mess.DEFECTS.index("duplicate_row"),
                      np.where(copy == 2, mess.DEFECTS.index("conflict_duplicate"),
                               truth_rows["defect_code"].to_numpy()[src]))
    # source_file = the year file's name without its format extension, as ingest records it
    files = np.array([f"asif_{y}" for y in range(int(year.min()), int(year.max()) + 1)])
    cols = {"source_file": pa.DictionaryArray.from_arrays(pa.array((year - year.min()).astype(np.int32)),
                                                          pa.array(files)),
            "source_row": pa.array(source_row.astype(np.int64))}
    for name in truth_rows.columns:
        if name == "defect_code":
            continue
        s = truth_rows[name]
        if isinstance(s.dtype, pd.CategoricalDtype):
            codes = s.cat.codes.to_numpy()[src]
            if name == "duplicated_by":  # only the original line is "duplicated by" its copies
                codes = np.where(copy == 0, codes, 0)
            cols[name] = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)),
                                                        pa.array([str(c) for c in s.cat.categories]))
        else:
            cols[name] = pa.array(s.to_numpy()[src])
    cols["defect"] = pa.DictionaryArray.from_arrays(pa.array(defect.astype(np.int32)),
                                                    pa.array(list(mess.DEFECTS)))
    return pa.Table.from_pydict(cols)


def generate(out_dir: str | Path, params: dict, scale: str, seed: int, years: list[int],
             headers: str | Path, cluster_rule: ClusterRule | None = None, feedback_later: bool = False) -> dict:
    """Write everything; returns mess counts. Files appear only if the whole run succeeds.
    `cluster_rule`: the measures stage's cluster indicator, which the truth's regressions use
    (upgrading.synth.truth; default: the measures stage's defaults). `feedback_later`: leave
    the estimands' feedback part (the further worlds) to `feedback` and a join
    (upgrading.synth.estimands): truth/OWN_TRUTH instead of truth/parameters.json."""
    t0 = time.time()
    if cluster_rule is None:
        cluster_rule = ClusterRule()
    params = normalise_params(params)
    out_dir = Path(out_dir)
    spellings = writer.load_spellings(headers)
    reg_names = writer.reg_type_names(headers)
    layout_name = params["layout"]
    world = build_world(params, scale, seed, years)
    _log(f"simulated {len(world.panel)} firm-years ({len(world.static['j'])} firms)", t0)
    rng = np.random.default_rng([seed, 1])  # a second stream: identities and mess
    raw, truth_rows, ident = records.build_rows(world, rng, params["mess"]["id_letter_share"])
    world.panel = None  # free the simulation's copy
    layout, counts = mess.inject(raw, truth_rows, rng, params["mess"])
    lines_year = raw["year"].to_numpy()[layout.src]
    order, source_row = writer.file_order(lines_year, raw["region_code"].to_numpy()[layout.src], rng)
    _log(f"built {len(order)} raw lines with mess", t0)
    written: list[str] = []
    with writer.staging(out_dir) as tmp:
        ordered_year = lines_year[order]
        for year in years:
            sel = order[ordered_year == year]
            cols = writer.year_columns(spellings, year, params["rd_years"], list(raw.columns))
            names = writer.year_headers(spellings, year, params["header_era"][year])
            table = writer.year_table(raw, ident, layout.src[sel], layout.copy[sel],
                                      layout.money_factor[sel], layout.emp_factor[sel], cols)
            written.append(writer.write_year(tmp, layout_name, year, table, [names[c] for c in cols],
                                             spellings, reg_names, params["encodings"][year], seed))
        del raw, ident  # the truth rows are all the oracle needs: keep peak memory down
        _log("raw year files written", t0)
        for name, table in side_tables(world).items():
            table.to_csv(tmp / name, index=False, lineterminator="\n")
            written.append(name)
        (tmp / "truth").mkdir()
        pq.write_table(truth_table(truth_rows, layout, order, source_row),
                       tmp / "truth" / "firms.parquet", compression="zstd")
        del layout, order, source_row, lines_year, ordered_year
        _log("truth table written", t0)
        oracle, estimands, parts = truth.oracle_and_estimands(truth_rows, world.unsurveyed, cluster_rule)
        # The replication worlds below are as large as this one: free what the truth no longer reads.
        del truth_rows
        world.static, world.unsurveyed = {}, None
        _log("oracle regressions done", t0)
        # as a join reads it back (string keys), so both ways write the same bytes
        own_truth = json.loads(dumps(truth.parameters(world, estimands, parts, counts)))
        if feedback_later:
            parameters_name, parameters_doc = OWN_TRUTH, own_truth
        else:
            reps = int(params.get("estimand_replications", 0))
            fb = truth.feedback_file(params, scale, seed, years, reps, cluster_rule, log=lambda m: _log(m, t0))
            parameters_name, parameters_doc = "parameters.json", with_feedback(own_truth, fb)
        for name, obj in ((parameters_name, parameters_doc), ("mess.json", counts), ("oracle.json", oracle)):
            (tmp / "truth" / name).write_text(dumps(obj), encoding="utf-8")
        written += ["truth/firms.parquet", f"truth/{parameters_name}", "truth/mess.json", "truth/oracle.json"]
        (tmp / "SHA256SUMS").write_text(writer.sha256sums(tmp, written), encoding="utf-8")
    _log(f"done: {out_dir}", t0)
    return counts


def feedback(out_path: str | Path, params: dict, scale: str, seed: int, years: list[int],
             cluster_rule: ClusterRule | None = None) -> dict:
    """Write the feedback file of world `seed` (the estimands' feedback part from
    `estimand_replications` further worlds) to out_path; returns it."""
    t0 = time.time()
    params = normalise_params(params)
    reps = int(params.get("estimand_replications", 0))
    doc = truth.feedback_file(params, scale, seed, years, reps, cluster_rule or ClusterRule(),
                              log=lambda m: _log(m, t0))
    write_text(dumps(doc), out_path)
    _log(f"done: {out_path} ({reps} further worlds)", t0)
    return doc
