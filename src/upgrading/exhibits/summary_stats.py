"""Summary statistics of the estimation sample: the firm-years of the headline regression, by
ownership group, for its outcomes, presence measures and controls (booktabs LaTeX + CSV).

The sample is the headline model's: its registry sample definition (config/specs.yaml
`samples`, applied by the estimation code's own sample_mask) and every variable of that model
non-missing, as the estimator needs them. The plan (upgrading.exhibits.plan.summary) names the
model and the variables; nothing here is typed for one registry.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from upgrading.core.errors import InputError
from upgrading.core.samples import sample_mask
from upgrading.exhibits.latex import escape, fmt_float, fmt_int, minus

STATISTICS = ["n", "mean", "sd", "p10", "p50", "p90"]
HEADERS = ["N", "Mean", "SD", "p10", "p50", "p90"]
ROLES = {"outcome": "Outcomes", "presence": "Foreign presence (spillover measures)",
         "instrument": "Instrument", "control": "Controls"}
ALL_GROUP = "all"


def model_columns(plan: dict) -> list[str]:
    """Columns the headline model needs non-missing: outcome, presence measures, fixed effects,
    clusters (what the estimator's own missing-value rule drops)."""
    return list(dict.fromkeys([plan["outcome"], *plan["regressors"], *plan["fixed_effect_columns"],
                               *plan["cluster_columns"]]))


def needed_columns(plan: dict) -> list[str]:
    """Every column of the analysis table the table reads."""
    conds = [c["column"] for c in plan["sample"] if "column" in c]
    return list(dict.fromkeys(model_columns(plan) + [v for v, _ in plan["variables"]] + conds
                              + [plan["group_column"], plan["panel"]["id"], plan["panel"]["time"]]))


def estimation_sample(analysis: pd.DataFrame, plan: dict, source: str = "<analysis>") -> tuple[pd.DataFrame, dict]:
    """(rows of the estimation sample, counts): every analysis row is counted as kept, outside
    the sample definition, or left out for a missing variable of the model."""
    missing = [c for c in needed_columns(plan) if c not in analysis.columns]
    if missing:
        raise InputError(f"analysis table lacks column(s) {missing} of the summary statistics",
                         file=source, column=missing[0])
    in_sample = sample_mask(analysis, plan["sample"], plan["panel"], source)
    complete = analysis[model_columns(plan)].notna().all(axis=1).to_numpy()
    counts = {"analysis": len(analysis), "outside_sample": int((~in_sample).sum()),
              "missing_variable": int((in_sample & ~complete).sum()), "kept": int((in_sample & complete).sum())}
    if counts["kept"] == 0:
        raise InputError(f"the estimation sample of {plan['model']} is empty", file=source)
    return analysis[in_sample & complete], counts


def describe(values: pd.Series) -> dict:
    v = pd.to_numeric(values, errors="coerce").astype(float)
    v = v[np.isfinite(v)]
    if v.empty:
        return {"n": 0, **{k: np.nan for k in STATISTICS[1:]}}
    q = np.quantile(v.to_numpy(), [0.1, 0.5, 0.9])
    return {"n": int(len(v)), "mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else np.nan,
            "p10": float(q[0]), "p50": float(q[1]), "p90": float(q[2])}


def compute(analysis: pd.DataFrame, plan: dict, source: str = "<analysis>") -> tuple[pd.DataFrame, dict]:
    """Long table (group, group_label, role, variable, label, n, mean, sd, p10, p50, p90), the
    whole estimation sample first, then each ownership group in the plan's order."""
    sample, counts = estimation_sample(analysis, plan, source)
    labels = plan.get("labels") or {}
    group_col = plan["group_column"]
    present = set(sample[group_col].astype(str))
    unknown = sorted(present - set(plan["groups"]))
    if unknown:
        raise InputError(f"ownership group(s) {unknown} of the estimation sample are not in the plan's "
                         f"groups {plan['groups']}", file=source, column=group_col)
    groups = [(ALL_GROUP, plan.get("sample_label") or "Estimation sample", sample)]
    groups += [(g, labels.get(g, g), sample[sample[group_col].astype(str) == g])
               for g in plan["groups"] if g in present]
    rows = []
    for key, name, rows_g in groups:
        for var, role in plan["variables"]:
            rows.append({"group": key, "group_label": name, "role": role, "variable": var,
                         "label": labels.get(var, var.replace("_", " ")), **describe(rows_g[var])})
    out = pd.DataFrame(rows)
    counts["groups"] = {key: len(rows_g) for key, _, rows_g in groups}
    return out, counts


def render_latex(stats: pd.DataFrame, counts: dict, plan: dict) -> str:
    """One row per variable: every statistic on the whole estimation sample, then the mean of each
    ownership group (its firm-years in the header); the CSV keeps every group x statistic."""
    digits = int(plan.get("digits", 3))

    def num(x) -> str:
        return "" if pd.isna(x) else minus(fmt_float(x, digits))

    whole = stats[stats["group"] == ALL_GROUP]
    groups = [g for g in dict.fromkeys(stats["group"]) if g != ALL_GROUP]
    means = {g: stats[stats["group"] == g].set_index("variable")["mean"] for g in groups}
    group_names = {g: stats.loc[stats["group"] == g, "group_label"].iat[0] for g in groups}
    n_stat, n_grp = len(HEADERS), len(groups)
    width = 1 + n_stat + n_grp
    head = ["", rf"\multicolumn{{{n_stat}}}{{c}}{{{escape(whole['group_label'].iat[0])}}}"]
    rules = rf"\cmidrule(lr){{2-{n_stat + 1}}}"
    if groups:
        head.append(rf"\multicolumn{{{n_grp}}}{{c}}{{Mean by ownership}}")
        rules += rf"\cmidrule(lr){{{n_stat + 2}-{width}}}"
    lines = ["% Generated by `upgrading summary-stats` from the analysis table; do not edit.",
             r"\begin{table}[tbp]", r"\centering", r"\footnotesize",
             rf"\caption{{{escape(plan['title'])}}}", r"\label{tab:summary_stats}",
             r"\begin{adjustbox}{max width=\linewidth}",
             r"\begin{tabular}{l" + "r" * (n_stat + n_grp) + "}", r"\toprule",
             " & ".join(head) + r" \\", rules,
             " & ".join([""] + HEADERS + [escape(group_names[g]) for g in groups]) + r" \\"]
    if groups:
        lines.append(" & ".join([""] * (1 + n_stat) + [f"({fmt_int(counts['groups'][g])})" for g in groups])
                     + r" \\")
    for role, block in whole.groupby("role", sort=False):
        lines += [r"\midrule", rf"\multicolumn{{{width}}}{{l}}{{\textit{{{escape(ROLES[role])}}}}} \\"]
        for _, r in block.iterrows():
            cells = [fmt_int(r["n"])] + [num(r[k]) for k in STATISTICS[1:]]
            cells += [num(means[g].get(r["variable"])) for g in groups]
            lines.append(" & ".join([r"\quad " + escape(r["label"])] + cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{adjustbox}", r"\par\smallskip",
              r"\begin{minipage}{\linewidth}\footnotesize", r"\emph{Notes:} " + notes(counts, plan),
              r"\end{minipage}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def notes(counts: dict, plan: dict) -> str:
    where = (f"column ({plan['column']}) of Table~\\ref{{tab:{plan['table']}}}" if plan.get("column") else
             f"Table~\\ref{{tab:{plan['table']}}}, {escape(plan['model_label'])}")
    lacking = fmt_int(counts["missing_variable"]) if counts["missing_variable"] else "none"
    text = (f"The estimation sample of the headline regression ({where}): {escape(plan['sample_text'])}, "
            f"with every variable of that model observed, by the ownership types it holds. "
            f"Of the {fmt_int(counts['analysis'])} firm-years of the analysis table, "
            f"{fmt_int(counts['outside_sample'])} are outside the sample definition and "
            f"{lacking} lack a variable of the model; {fmt_int(counts['kept'])} remain. "
            f"N: firm-years with the variable observed (variables the model does not use can be missing). "
            f"SD: standard deviation; p10, p50, p90: 10th, 50th and 90th percentiles. "
            f"Ownership columns: the mean over the group's firm-years with the variable observed; "
            f"firm-years of each group in parentheses. The table's CSV file gives every statistic "
            f"for each group.")
    return text


def render_csv(stats: pd.DataFrame) -> pd.DataFrame:
    return stats[["group", "group_label", "role", "variable", "label", *STATISTICS]]


def render(analysis: pd.DataFrame, plan: dict, source: str = "<analysis>") -> tuple[str, pd.DataFrame]:
    stats, counts = compute(analysis, plan, source)
    return render_latex(stats, counts, plan), render_csv(stats)
