"""Where the pipeline's same-city share (horizontal_local) parts from the truth's, and what that
does to the local coefficient on true productivity.

    .venv/bin/python tools/presence_error.py [--root .]

Run in a clone that has built the synthetic world (`make reproduce`). For the domestic firm-years
of the cleaned panel it sets beside the truth's horizontal_local (the leave-one-out share over
every surveyed firm-year, with true output, ownership, city and industry) the same share computed
over the rows of the presence table (PROC/presence.parquet):

    rows      with those rows' true values and cells: which firm-years count;
    values    with their reported output and ownership shares, true cells;
    pipeline  as the measures stage reads them (reported values and cells).

For each it prints the difference from the truth's share (SD, mean, share of firm-years it moves
by more than 0.0001) and the local model's horizontal_local coefficient on true omega with that
share in place of the truth's (the other regressors the truth's; firm and year effects by true
firm, CRV1 by true 2-digit industry; the panel's domestic firm-years where every share is
defined), so that the coefficient's change is the measure's alone. At full scale it takes about
30 s and 6 GB.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

KEYS = ["source_file", "source_row"]
TRUTH_COLUMNS = [*KEYS, "year", "true_firm_id", "true_city", "true_industry2", "true_output", "true_hmt_share",
                 "true_other_foreign_share", "domestic", "true_omega", "horizontal_local", "horizontal_hmt",
                 "horizontal_other", "backward", "forward", "defect"]
MOVED = 1e-4  # a gap beyond the rounding of reported values
# variant -> (city, industry, foreign share, output) columns of the merged presence rows
VARIANTS = {"rows": ("true_city", "true_industry2", "true_foreign", "true_output"),
            "values": ("true_city", "true_industry2", "foreign_share", "output"),
            "pipeline": ("city", "industry2", "foreign_share", "output")}


def local_share(df: pd.DataFrame, city: str, industry: str, share: str, weight: str) -> np.ndarray:
    """The measures stage's same-city share (upgrading.core.spillovers.local_horizontal) over `df`,
    with `df`'s columns in the roles of city, industry2, foreign_share and output."""
    from upgrading.core.spillovers import local_horizontal

    firms = pd.DataFrame({"city": df[city].to_numpy(), "industry2": df[industry].to_numpy(),
                          "year": df["year"].to_numpy(), "foreign_share": df[share].to_numpy(float),
                          "output": df[weight].to_numpy(float)})
    return local_horizontal(firms).to_numpy()


def compare(root: Path) -> pd.DataFrame:
    import pyfixest as pf

    truth = pd.read_parquet(root / "data/raw/truth/firms.parquet", columns=TRUTH_COLUMNS)
    presence = pd.read_parquet(root / "data/processed/presence.parquet")
    for df in (truth, presence):
        df["source_file"] = df["source_file"].astype(str)
    truth["true_foreign"] = truth["true_hmt_share"] + truth["true_other_foreign_share"]
    # every surveyed firm-year once (an injected duplicate line is the same firm-year again)
    surveyed = truth[~truth["defect"].isin(["duplicate_row", "conflict_duplicate"])]
    again = local_share(surveyed, "true_city", "true_industry2", "true_foreign", "true_output")
    if not np.allclose(again, surveyed["horizontal_local"], rtol=0, atol=1e-9, equal_nan=True):
        raise SystemExit("the leave-one-out share over the truth's rows does not reproduce its horizontal_local")
    # A presence row may come from a duplicate line the cleaning kept: its true values are its firm-year's.
    rows = presence.merge(truth.drop(columns=["year", "horizontal_local", "defect"]), on=KEYS, how="left", validate="1:1")
    if rows["true_firm_id"].isna().any():
        raise SystemExit(f"{int(rows['true_firm_id'].isna().sum())} presence rows have no row in the truth")
    for name, cols in VARIANTS.items():
        rows[name] = local_share(rows, *cols)
    panel = rows[rows["in_panel"] & rows["domestic"].astype(bool)]
    panel = panel.merge(truth[[*KEYS, "horizontal_local"]], on=KEYS, validate="1:1")
    shares = ["horizontal_local", *VARIANTS]
    panel = panel.dropna(subset=shares)  # a firm alone in its cell by one count has no share there
    out = []
    for name in shares:
        gap = panel[name] - panel["horizontal_local"]
        sample = panel.drop(columns=[s for s in shares if s != name]).rename(columns={name: "share"})
        fit = pf.feols("true_omega ~ horizontal_hmt + horizontal_other + share + backward + forward"
                       " | true_firm_id + year", data=sample, vcov={"CRV1": "true_industry2"})
        out.append({"share": "truth" if name == "horizontal_local" else name, "firm_years": len(sample),
                    "sd_gap": gap.std(), "mean_gap": gap.mean(), "moved": (gap.abs() > MOVED).mean(),
                    "coef": fit.coef()["share"], "se": fit.se()["share"]})
    return pd.DataFrame(out)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=Path("."), help="the built clone")
    table = compare(ap.parse_args(argv).root)
    print("| share | firm-years | SD of gap to truth | mean gap | share moved > 0.0001 | coefficient (SE) |")
    print("|---|---|---|---|---|---|")
    for r in table.itertuples(index=False):
        print(f"| {r.share} | {r.firm_years:,} | {r.sd_gap:.5f} | {r.mean_gap:+.5f} | {r.moved:.3f} "
              f"| {r.coef:.4f} ({r.se:.4f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
