"""Benchmark, run by hand (not a test): one pyfixest call per group of models that share
sample, fixed effects and vcov (the engine's multiple estimation) against each model alone.

    .venv/bin/python tests/benchmarks/multiple_estimation.py \
        --data data/processed/analysis.parquet --specs config/specs.yaml [--repeats 3]

For every call of every pyfixest family that holds k >= 2 models it prints the wall time of
the grouped call, of the slowest model fitted alone, their ratio (the issue asks <= 1.5) and
the sum of the single fits (what the grouping saves). Times are the minimum over repeats
(the machine is shared); the data are read once per family, as the estimate job does.
"""

from __future__ import annotations

import argparse
import time
import warnings

import pandas as pd


def _best(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    import numpy as np
    import pyfixest as pf

    from upgrading.analysis import design as dsg
    from upgrading.analysis import engine_pyfixest as eng
    from upgrading.analysis import estimate, registry

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--specs", required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--family", action="append", help="only these families (default: all)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    spec = registry.load(args.specs)
    rows = []
    for fam_id in args.family or [f["id"] for f in spec["families"]]:
        fam = registry.resolve_family(spec, fam_id, source=args.specs)
        if fam["engine"] != "pyfixest":
            continue
        df = estimate.read_data(args.data, fam)
        design = dsg.build(df, fam, data_file=args.data)
        for call in eng.plan_calls(fam["models"], design):
            if len(call["members"]) < 2:
                continue
            m0, cols0 = call["members"][0]
            keep = design.samples[m0["sample"]] if m0["sample"] else np.ones(len(design.frame), bool)
            data = design.frame.loc[keep, eng._call_columns(call)].reset_index(drop=True)  # as the engine does

            def fit(fml, cols=cols0, m=m0, data=data):
                return pf.feols(fml, data=data, vcov=eng.pf_vcov(cols, m), ssc=eng.ssc(), fixef_rm=eng.FIXEF_RM,
                                fixef_tol=eng.FIXEF_TOL, weights=cols["weights"], copy_data=False)

            grouped = _best(lambda: fit(call["fml"]), args.repeats)
            singles = [_best(lambda m=m, cols=cols: fit(eng._formula([cols["y"]], list(cols["exog"]), cols), cols, m),
                             args.repeats) for m, cols in call["members"]]
            rows.append({"family": fam_id, "k": len(call["members"]), "rows": len(data),
                         "grouped_s": grouped, "slowest_single_s": max(singles), "sum_single_s": sum(singles),
                         "ratio": grouped / max(singles), "fml": call["fml"]})
            print(f"{fam_id}: k={rows[-1]['k']} grouped {grouped:.3f}s, slowest alone {max(singles):.3f}s, "
                  f"ratio {rows[-1]['ratio']:.2f}, sum alone {sum(singles):.3f}s", flush=True)
    out = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print(out.drop(columns="fml").to_string(index=False, float_format=lambda x: f"{x:.3f}"))


if __name__ == "__main__":
    main()
