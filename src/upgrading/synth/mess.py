"""The mess of real ASIF files, injected into the clean synthetic rows with known counts.

Every injected defect stays identifiable in truth/firms.parquet: the row-level kind is in
`defect` (one kind per row; defects never overlap), ID changes in `id_changed` and
`id_change_kind`, renames that keep the ID in `renamed`, the form in which a line writes
the firm's name (`name_form`, bits of upgrading.synth.identity.NAME_*) and legal-person ID
(`id_form`). Name and ID forms are drawn per firm-year (a duplicate copy repeats its
original's form) and counted in mess.json under `name_form` and `id_form`. Layout facts (2003 year-end employment, no value added in 2004,
pre-2003 industry codes) are counted too.

Duplicates are not copied here: `Layout` lists, for every line of the files, the raw row
it shows (so an exact duplicate is a row listed twice) and, for conflicting duplicates,
the factors that make the copy differ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from upgrading.core.columns import MONEY
from upgrading.synth import identity
from upgrading.synth.identity import VARIANT_CONTACT, VARIANT_NEW_CONTACT, VARIANT_NOTHING_KEPT, VARIANT_RENAMED

ID_CHANGE_KINDS = ("name", "representative_phone", "founding_county_industry", "nothing")
ROW_DEFECTS = ("unit_slip", "assets_below_fixed", "negative_output", "missing_key", "outlier")
DEFECTS = ("",) + ROW_DEFECTS + ("duplicate_row", "conflict_duplicate")
KEY_FIELDS = ("total_assets", "net_fixed_assets", "sales", "output")
CONFLICT_MONEY = ("output", "sales", "value_added", "intermediate")


@dataclass
class Layout:
    """Lines of the raw files: `src` = raw row shown, `copy` = 0 original, 1 exact duplicate,
    2 conflicting duplicate (money scaled by `money_factor`, employment by `emp_factor`)."""
    src: np.ndarray
    copy: np.ndarray
    money_factor: np.ndarray
    emp_factor: np.ndarray


def change_ids(raw: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator, rate: float,
               nothing_rng: np.random.Generator, nothing_share: float) -> dict:
    """Restructuring: from a year on, a firm reports a new legal-person ID.

    What carries over tells the linker how to follow it (BVZ order): `name` keeps the
    name; `representative_phone` changes the name but keeps representative and phone;
    `founding_county_industry` changes name, representative and phone and keeps founding
    year, county, industry and main product; `nothing` (a share `nothing_share` of the
    changes, drawn from `nothing_rng`) also changes the main product: no key follows it.
    """
    firm = raw["firm"].to_numpy()
    year = raw["year"].to_numpy()
    first = pd.Series(year).groupby(firm).transform("min").to_numpy()
    count = np.bincount(firm)
    firms_seen = np.flatnonzero(count > 0)
    eligible = np.flatnonzero(count >= 2)
    n = int(round(rate * len(firms_seen)))
    chosen = np.sort(rng.choice(eligible, size=min(n, len(eligible)), replace=False))
    kind = np.full(count.size, -1, np.int8)
    kind[chosen] = rng.integers(0, 3, len(chosen))
    kind[chosen[nothing_rng.random(len(chosen)) < nothing_share]] = 3
    # Change year: a random observed year after the firm's first.
    cand = np.flatnonzero((kind[firm] >= 0) & (year > first))
    r = rng.random(len(cand))
    order = np.lexsort((r, firm[cand]))
    cand = cand[order]
    head = np.r_[True, firm[cand][1:] != firm[cand][:-1]]
    change_year = np.full(count.size, 9999, np.int64)
    change_year[firm[cand][head]] = year[cand][head]
    hit = year >= change_year[firm]
    k = kind[firm]
    legal_new = raw.attrs["legal_id_new"]
    raw["legal_id"] = np.where(hit, legal_new[firm], raw["legal_id"].to_numpy())
    variant = np.array([0, VARIANT_RENAMED, VARIANT_NEW_CONTACT, VARIANT_NOTHING_KEPT], np.int8)
    raw["ident_variant"] = np.where(hit, variant[np.maximum(k, 0)], 0).astype(np.int8)
    truth["id_changed"] = hit
    truth["id_change_kind"] = pd.Categorical.from_codes(np.where(hit, k + 1, 0),
                                                         categories=("",) + ID_CHANGE_KINDS)
    counts = {name: int((kind[chosen] == i).sum()) for i, name in enumerate(ID_CHANGE_KINDS)}
    return {"total": int(len(chosen)), **counts}


def _from_a_year(raw: pd.DataFrame, rng: np.random.Generator, rate: float, taken: np.ndarray) -> np.ndarray:
    """Rows of a share `rate` of firms (seen at least twice, not in `taken`) from a random
    observed year after their first on."""
    firm = raw["firm"].to_numpy()
    year = raw["year"].to_numpy()
    count = np.bincount(firm)
    seen_before = np.zeros(count.size, bool)
    seen_before[firm[taken]] = True
    eligible = np.flatnonzero((count >= 2) & ~seen_before)
    n = min(int(round(rate * np.count_nonzero(count))), len(eligible))
    chosen = np.zeros(count.size, bool)
    chosen[rng.choice(eligible, size=n, replace=False)] = True
    first = pd.Series(year).groupby(firm).transform("min").to_numpy()
    cand = np.flatnonzero(chosen[firm] & (year > first))
    cand = cand[np.lexsort((rng.random(len(cand)), firm[cand]))]
    head = np.r_[True, firm[cand][1:] != firm[cand][:-1]] if len(cand) else np.zeros(0, bool)
    from_year = np.full(count.size, 9999, np.int64)
    from_year[firm[cand][head]] = year[cand][head]
    return year >= from_year[firm]


def renames_and_contacts(raw: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator, m: dict) -> dict:
    """From a year on, a firm reports a genuinely different name under the same legal-person
    ID (representative and phone kept), or a new representative and phone (name and ID
    kept). Disjoint firms; firms whose ID changes are left out."""
    taken = truth["id_changed"].to_numpy()
    renamed = _from_a_year(raw, rng, m["rename_rate"], taken)
    contact = _from_a_year(raw, rng, m["contact_change_rate"], taken | renamed)
    variant = raw["ident_variant"].to_numpy()
    raw["ident_variant"] = np.where(renamed, VARIANT_RENAMED,
                                    np.where(contact, VARIANT_CONTACT, variant)).astype(np.int8)
    truth["renamed"] = renamed
    truth["contact_changed"] = contact
    firm = raw["firm"].to_numpy()
    return {"rename": int(np.unique(firm[renamed]).size), "contact_change": int(np.unique(firm[contact]).size)}


def reuse_ids(raw: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator, rate: float) -> int:
    """A share `rate` of entrants report the legal-person ID of a firm of their city and
    2-digit industry that left the survey the year before (a plant taken over, its code kept;
    within one city and industry, so a false link never joins fixed-effect groups):
    distinct firms, one ID. Neither firm's ID changes otherwise. Returns the number of
    such pairs (an entrant without a leaver of its industry keeps its own ID)."""
    firm = raw["firm"].to_numpy()
    year = raw["year"].to_numpy()
    cell = truth["true_city"].to_numpy().astype(np.int64) * 100 + truth["true_industry2"].to_numpy()
    per_firm = pd.DataFrame({"firm": firm, "year": year, "industry": cell})
    g = per_firm.groupby("firm")
    first, last, industry = g["year"].min(), g["year"].max(), g["industry"].first()
    changed = np.zeros(np.bincount(firm).size, bool)
    changed[firm[truth["id_changed"].to_numpy()]] = True
    to_id = np.arange(changed.size)  # whose ID each firm reports
    cell_of = np.full(changed.size, -1, np.int64)  # each firm's cell, by firm id (array lookups, not pandas)
    cell_of[industry.index.to_numpy()] = industry.to_numpy()
    pairs = 0
    for t in range(int(year.min()) + 1, int(year.max()) + 1):
        entrants = first.index[(first == t).to_numpy() & ~changed[first.index]].to_numpy()
        # A firm that took another's ID does not pass it on: every reassigned ID has two firms.
        leavers = last.index[(last == t - 1).to_numpy() & ~changed[last.index]
                             & (to_id[last.index] == last.index)].to_numpy()
        n = int(round(rate * len(entrants)))
        if n == 0 or len(leavers) == 0:
            continue
        # The leavers of each cell in their order (a stable sort groups them), shuffled cell by cell.
        cells = cell_of[leavers]
        by_cell = np.argsort(cells, kind="stable")
        keys, starts = np.unique(cells[by_cell], return_index=True)
        groups = np.split(leavers[by_cell], starts[1:])
        pool = {j: list(rng.permutation(g)) for j, g in zip(keys.tolist(), groups)}
        for taker in np.sort(rng.choice(entrants, size=n, replace=False)):
            options = pool.get(int(cell_of[taker]), [])
            if options:
                to_id[taker] = options.pop()
                pairs += 1
    reused = to_id[firm] != firm
    code = raw["legal_id"].to_numpy()
    last_code = pd.Series(code).groupby(firm).last()
    raw["legal_id"] = np.where(reused, last_code.reindex(to_id[firm]).to_numpy(), code)
    truth["id_reused"] = reused
    return pairs


NAME_FORM_RATES = (("prefix", "name_prefix_rate"), ("legal_form", "name_legal_form_rate"),
                   ("group", "name_group_rate"), ("space", "name_space_rate"), ("null", "name_null_rate"))


def identity_forms(raw: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator, m: dict) -> dict:
    """Per firm-year forms of the name (independent bits) and of the legal-person ID (one
    form per row, disjoint rows). Returns mess.json's `name_form` and `id_form` counts."""
    n = len(raw)
    form = np.zeros(n, np.int16)
    prefix = rng.random(n) < m["name_prefix_rate"]
    form[prefix] |= rng.integers(1, 4, int(prefix.sum())).astype(np.int16)  # none, city, province + city
    legal = rng.random(n) < m["name_legal_form_rate"]
    form[legal] |= identity.NAME_LEGAL_FORM
    group = rng.random(n) < m["name_group_rate"]
    wide = rng.random(n) < 0.5
    form[group] |= identity.NAME_GROUP
    form[group & wide] |= identity.NAME_GROUP_FULL_WIDTH
    space = rng.random(n) < m["name_space_rate"]
    ideographic = rng.random(n) < 0.5
    form[space] |= identity.NAME_SPACE
    form[space & ideographic] |= identity.NAME_SPACE_IDEOGRAPHIC
    null = rng.random(n) < m["name_null_rate"]
    form[null] |= identity.NAME_NULL
    name_counts = {"prefix": int(prefix.sum()), "legal_form": int(legal.sum()), "group": int(group.sum()),
                   "group_full_width": int((group & wide).sum()), "space": int(space.sum()),
                   "space_ideographic": int((space & ideographic).sum()), "null": int(null.sum())}
    id_form = np.zeros(n, np.int8)
    order = rng.permutation(n)
    start = 0
    id_counts = {}
    for i, kind in enumerate(identity.ID_FORMS[1:], start=1):
        size = int(round(m[f"id_{kind}_rate"] * n))
        id_form[order[start:start + size]] = i
        start += size
        id_counts[kind] = size
    raw["name_form"] = form
    raw["id_form"] = id_form
    truth["name_form"] = form
    truth["id_form"] = pd.Categorical.from_codes(id_form, categories=identity.ID_FORMS)
    return {"name_form": name_counts, "id_form": id_counts}


def row_defects(raw: pd.DataFrame, rng: np.random.Generator, m: dict) -> tuple[np.ndarray, np.ndarray, dict]:
    """Disjoint random rows get one defect each. Returns (defect code per row, missing field
    code per row (0 none, 1.. = KEY_FIELDS), counts)."""
    rates = {"unit_slip": m["unit_slip_rate"], "assets_below_fixed": m["assets_below_fixed_rate"],
             "negative_output": m["negative_output_rate"], "missing_key": m["missing_key_rate"],
             "outlier": m["outlier_rate"]}
    n = len(raw)
    code = np.zeros(n, np.int8)
    missing = np.zeros(n, np.int8)
    order = rng.permutation(n)
    counts: dict = {}
    start = 0
    for kind in ROW_DEFECTS:
        size = int(round(rates[kind] * n))
        idx = np.sort(order[start:start + size])
        start += size
        code[idx] = DEFECTS.index(kind)
        if kind == "unit_slip":  # the whole row's money in yuan
            for col in MONEY:
                raw[col] = _scaled(raw[col].to_numpy(), idx, 1000.0)
        elif kind == "assets_below_fixed":
            ta = raw["total_assets"].to_numpy().copy()
            ta[idx] = np.round(raw["fixed_assets"].to_numpy()[idx] * rng.uniform(0.3, 0.8, size), 1)
            raw["total_assets"] = ta
        elif kind == "negative_output":
            raw["output"] = _scaled(raw["output"].to_numpy(), idx, -1.0)
        elif kind == "missing_key":
            field = rng.integers(0, len(KEY_FIELDS), size)
            missing[idx] = field + 1
            for i, fld in enumerate(KEY_FIELDS):
                v = raw[fld].to_numpy().copy()
                v[idx[field == i]] = np.nan
                raw[fld] = v
            counts["missing_key_by_field"] = {fld: int((field == i).sum()) for i, fld in enumerate(KEY_FIELDS)}
        elif kind == "outlier":  # a typo: output and sales twenty times too large
            for col in ("output", "sales"):
                raw[col] = _scaled(raw[col].to_numpy(), idx, 20.0)
        counts[kind] = int(size)
    return code, missing, counts


def _scaled(values: np.ndarray, idx: np.ndarray, factor: float) -> np.ndarray:
    out = values.astype(float, copy=True)
    out[idx] = np.round(out[idx] * factor, 1) + 0.0
    return out


def year_end_employment(raw: pd.DataFrame, rng: np.random.Generator, m: dict) -> None:
    """2003: the employment column is filled from year-end employment (年末从业人员合计人)."""
    y03 = raw["year"].to_numpy() == 2003
    emp = raw["employment"].to_numpy().copy()
    noise = np.exp(rng.normal(0, m["year_end_employment_noise"], int(y03.sum())))
    emp[y03] = np.maximum(1, np.rint(emp[y03] * noise)).astype(np.int64)
    raw["employment"] = emp


def duplicates(code: np.ndarray, rng: np.random.Generator, m: dict) -> tuple[Layout, np.ndarray, dict]:
    """Exact and conflicting copies of clean rows. Returns (layout, duplicated_by code per raw
    row, counts)."""
    n = len(code)
    clean = np.flatnonzero(code == 0)
    n_dup = int(round(m["duplicate_rate"] * n))
    n_con = int(round(m["conflict_rate"] * n))
    pick = rng.choice(clean, size=n_dup + n_con, replace=False)
    dup, con = np.sort(pick[:n_dup]), np.sort(pick[n_dup:])
    layout = Layout(
        src=np.concatenate([np.arange(n), dup, con]),
        copy=np.concatenate([np.zeros(n, np.int8), np.ones(n_dup, np.int8), np.full(n_con, 2, np.int8)]),
        money_factor=np.concatenate([np.ones(n + n_dup), rng.uniform(0.8, 1.25, n_con)]),
        emp_factor=np.concatenate([np.ones(n + n_dup), rng.uniform(0.8, 1.25, n_con)]))
    duplicated_by = np.zeros(n, np.int8)
    duplicated_by[dup] = 1
    duplicated_by[con] = 2
    return layout, duplicated_by, {"duplicate_row": n_dup, "conflict_duplicate": n_con}


def layout_facts(raw: pd.DataFrame, truth: pd.DataFrame, layout: Layout) -> dict:
    """Counts over file lines: 2003 year-end employment, no value added (2004), pre-2003 codes."""
    year = raw["year"].to_numpy()[layout.src]
    code = raw["industry_code"].to_numpy()[layout.src]
    true4 = truth["true_industry4"].to_numpy()[layout.src]
    recoded = truth["industry4_recoded"].to_numpy()[layout.src]
    return {"employment_year_end_2003": int((year == 2003).sum()),
            "value_added_missing_2004": int((year == 2004).sum()),
            "old_industry_code_rows": int(((year <= 2002) & (code != true4)).sum()),
            "split_class_rows": int(((year <= 2002) & (recoded != true4)).sum())}


def inject(raw: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator, m: dict) -> tuple[Layout, dict]:
    """All of the mess, in a fixed order. Adds `defect`, `missing_field`, `duplicated_by`
    (per raw row) to truth; returns the file layout and mess.json's counts."""
    # Identity draws beyond the ID changes come from child streams: the defects below stay
    # where they were.
    nothing_rng, name_rng, reuse_rng, form_rng = rng.spawn(4)
    counts = {"id_change": change_ids(raw, truth, rng, m["id_change_rate"], nothing_rng,
                                      m["id_change_nothing_kept_share"])}
    counts.update(renames_and_contacts(raw, truth, name_rng, m))
    counts["id_reuse"] = reuse_ids(raw, truth, reuse_rng, m["id_reuse_rate"])
    counts.update(identity_forms(raw, truth, form_rng, m))
    code, missing, row_counts = row_defects(raw, rng, m)
    counts.update(row_counts)
    year_end_employment(raw, rng, m)
    layout, duplicated_by, dup_counts = duplicates(code, rng, m)
    counts.update(dup_counts)
    truth["defect_code"] = code
    truth["missing_field"] = pd.Categorical.from_codes(missing, categories=("",) + KEY_FIELDS)
    truth["duplicated_by"] = pd.Categorical.from_codes(duplicated_by, categories=DEFECTS[:1] + DEFECTS[-2:])
    counts.update(layout_facts(raw, truth, layout))
    return layout, counts
