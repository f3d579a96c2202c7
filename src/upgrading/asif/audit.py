"""The cleaning waterfall: every rule's dropped and changed rows, and the rows left.

Rules drop rows only through `Waterfall.drop_many`, so the identity
rows read = rows kept + sum of rows dropped holds by construction and is
asserted again when the audit is written. Every dropped or changed raw line is
also kept by name (source_file, source_row, rule) for the row-level trace.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


class Waterfall:
    def __init__(self, data: pd.DataFrame, log=print):
        self.rows_read = len(data)
        self.rows: list[dict] = [{"rule": "rows_read", "dropped": 0, "changed": 0,
                                  "rows_left": len(data), "description": "rows of linked.parquet"}]
        self.log = log
        self.traced: list[pd.DataFrame] = []

    def _trace(self, data: pd.DataFrame, mask: np.ndarray, rule: str, action: str) -> None:
        rows = data.loc[mask, ["source_file", "source_row", "firm_id", "year"]].copy()
        rows["rule"], rows["action"] = rule, action
        self.traced.append(rows)

    @staticmethod
    def first_hits(rules: list[tuple[str, np.ndarray, str]], n: int) -> list[np.ndarray]:
        """The rows each rule drops (aligned with `rules`): those it hits that no rule before it hit."""
        alive = np.ones(n, dtype=bool)
        hits = []
        for _, mask, _ in rules:
            hits.append(np.asarray(mask, dtype=bool) & alive)
            alive &= ~hits[-1]
        return hits

    def drop_many(self, data: pd.DataFrame, rules: list[tuple[str, np.ndarray, str]]) -> pd.DataFrame:
        """Row-wise rules in order, one copy of the data at the end: each rule counts only rows
        still alive after the rules before it."""
        alive = np.ones(len(data), dtype=bool)
        for (rule, _, description), hit in zip(rules, Waterfall.first_hits(rules, len(data))):
            self._trace(data, hit, rule, "dropped")
            alive &= ~hit
            self._record(rule, int(hit.sum()), 0, int(alive.sum()), description)
        return data.loc[alive]

    def change(self, data: pd.DataFrame, mask, rule: str, description: str) -> pd.DataFrame:
        """Record a rule that edited the values of the rows in `mask` (no row leaves)."""
        mask = np.asarray(mask, dtype=bool)
        self._trace(data, mask, rule, "changed")
        self._record(rule, 0, int(mask.sum()), len(data), description)
        return data

    def row_trace(self) -> pd.DataFrame:
        """One row per dropped or changed raw line: source_file, source_row, firm_id, year, rule, action."""
        cols = ["source_file", "source_row", "firm_id", "year", "rule", "action"]
        if not self.traced:
            return pd.DataFrame(columns=cols)
        out = pd.concat(self.traced, ignore_index=True)[cols]
        return out.sort_values(["source_file", "source_row", "rule"], kind="mergesort").reset_index(drop=True)

    def _record(self, rule, dropped, changed, left, description):
        self.rows.append({"rule": rule, "dropped": dropped, "changed": changed,
                          "rows_left": left, "description": description})
        self.log(f"clean: {rule}: dropped {dropped}, changed {changed}, left {left}")

    def table(self, rows_kept: int) -> pd.DataFrame:
        dropped = sum(r["dropped"] for r in self.rows)
        if self.rows_read != rows_kept + dropped:
            raise AssertionError(f"cleaning lost rows: read {self.rows_read}, kept {rows_kept}, "
                                 f"dropped by rules {dropped}")
        out = self.rows + [{"rule": "rows_kept", "dropped": dropped, "changed": 0,
                            "rows_left": rows_kept,
                            "description": f"rows read {self.rows_read} = kept {rows_kept} "
                                           f"+ dropped {dropped}"}]
        return pd.DataFrame(out, columns=["rule", "dropped", "changed", "rows_left", "description"])
