"""The estimands' feedback part, added to a world's truth file (parameters.json).

A world's estimand is its projection and selection parts (its own firms) plus the feedback part,
a mean over further worlds of the same parameters and scale (upgrading.synth.truth, module
docstring). The further worlds do not depend on this world's data, so the DAG simulates them in
a job of their own beside the world's (`upgrading synthesize --feedback-out`) and joins the two
here (`with_feedback`, rule truth_parameters); `upgrading synthesize` without those options
computes both in one process through the same function, so parameters.json is the same bytes
either way.

Plain Python and json only: the join runs inside the Snakemake process.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

# The validation models' keys in parameters.json (their estimands) and in estimand_parts.
ESTIMAND_KEYS = {"baseline": "spillovers", "local": "spillovers_local", "structural": "spillovers_structural"}
# Registry interaction terms -> the DGP parameter names of parameters.json (as in
# upgrading.analysis.validation.TERM_TO_PARAM).
STRUCTURAL_PARAM = {"backward:post2002": "backward_post2002", "horizontal_hmt:cluster": "cluster_x_horizontal_hmt"}


def param_names(d: dict) -> dict:
    return {STRUCTURAL_PARAM.get(k, k): v for k, v in d.items()}


def sig(x: float, digits: int = 8) -> float:
    """Round to `digits` significant digits: pyfixest's demeaner is multithreaded, so the
    last bits of its results vary between runs; rounding keeps truth files byte-identical."""
    return float(f"{x:.{digits}g}")


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Seeds of the worlds that average the feedback term: far from the seeds users pass."""
    return [seed + REPLICATION_SEED_STEP * (r + 1) for r in range(replications)]


REPLICATION_SEED_STEP = 1_000_003


def feedback_doc(gap: dict, replications: int, seeds: list[int]) -> dict:
    """The feedback file: {model: {term: mean gap}} (terms as parameters.json names them), the
    number of further worlds and their seeds."""
    return {"replications": int(replications), "seeds": [int(s) for s in seeds],
            "feedback": {m: param_names(terms) for m, terms in gap.items()}}


def with_feedback(before: dict, feedback: dict) -> dict:
    """parameters.json from the world's own truth (estimands = projection + selection) and the
    feedback file: each estimand plus its feedback part (0 without further worlds), the part
    and the number of worlds recorded in estimand_parts."""
    out = copy.deepcopy(before)
    gap, replications = feedback["feedback"], int(feedback["replications"])
    wanted = int(before["config"].get("estimand_replications", 0))
    seeds = replication_seeds(int(before["seed"]), wanted)
    if replications != wanted or [int(s) for s in feedback["seeds"]] != seeds:
        raise ValueError(f"the feedback part comes from {replications} worlds of seeds {feedback['seeds']}; "
                         f"world {before['seed']} asks for {wanted} of seeds {seeds}")
    for model, key in ESTIMAND_KEYS.items():
        own = out[key]
        missing = [t for t in own if replications and t not in gap.get(model, {})]
        if missing:
            raise ValueError(f"the feedback part lacks {model} terms {missing}")
        fb = {t: gap.get(model, {}).get(t, 0.0) for t in own}
        parts = out["estimand_parts"][model]
        if "feedback" in parts:
            raise ValueError(f"estimand_parts.{model} has a feedback part already")
        parts["feedback"], parts["feedback_replications"] = fb, replications
        out[key] = {t: sig(v + fb[t]) for t, v in own.items()}
    return out


def dumps(obj: dict) -> str:
    """A truth file's text (parameters.json, mess.json, oracle.json, the feedback file)."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=_json_default) + "\n"


def _json_default(o):
    # numpy scalars, without importing numpy here
    if hasattr(o, "item") and callable(o.item):
        return o.item()
    raise TypeError(type(o))


def join_files(before_path, feedback_path, out_path) -> None:
    """Read the world's own truth and the feedback file, write parameters.json (rule truth_parameters)."""
    from upgrading.core.errors import InputError
    from upgrading.core.io import write_text

    before = json.loads(Path(before_path).read_text(encoding="utf-8"))
    feedback = json.loads(Path(feedback_path).read_text(encoding="utf-8"))
    try:
        joined = with_feedback(before, feedback)
    except (KeyError, ValueError) as exc:
        raise InputError(f"cannot join the feedback part to the world's truth {before_path}: {exc}",
                         file=str(feedback_path)) from None
    write_text(dumps(joined), out_path)
