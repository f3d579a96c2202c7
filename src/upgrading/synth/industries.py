"""Industries of the synthetic world: 4-digit classes, the 2003 code revision, IO table,
deflators and the 2002 FDI catalogue.

The 30 two-digit divisions and their names are real (GB/T 4754-2002, 13-43 without 38);
the 4-digit class codes under them are generated plausibly (division + group + class).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def divisions(params: dict) -> pd.DataFrame:
    """One row per 2-digit division with its DGP traits from the config."""
    rows = []
    for code, spec in sorted(params["industries"].items(), key=lambda kv: int(kv[0])):
        rows.append({"industry2": int(code), "industry2_name": spec["name"], "weight": spec["w"],
                     "n4": int(spec["n4"]), "va_share": spec["va"], "beta_l": spec["bl"],
                     "beta_k": spec["bk"], "fie_pull": spec["fie"], "hmt_fraction": spec["hmt"],
                     "export_pull": spec["exp"]})
    out = pd.DataFrame(rows)
    out["weight"] = out["weight"] / out["weight"].sum()
    return out


def classes(div: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """4-digit CIC 2002 classes: code = division*100 + group*10 + class (class 0 = undivided group).

    Class weights (share of the division's firms) are Dirichlet draws.
    """
    rows = []
    for d in div.itertuples(index=False):
        # Groups 1-8 (group 9 stays free for the old codes of revised classes); a group
        # with one class has class digit 0, as in CIC.
        n = d.n4
        n_groups = min(8, max(1, -(-n // 3)))
        # Even split in random order: a multinomial draw could exceed the 9 class digits
        # available in a group (it did for division 39, 33 classes, with some seeds).
        sizes = np.full(n_groups, n // n_groups)
        sizes[: n % n_groups] += 1
        rng.shuffle(sizes)
        if sizes.max() > 9:
            raise ValueError(f"division {d.industry2}: {n} classes do not fit 8 groups of 9")
        codes = [d.industry2 * 100 + g * 10 + (0 if size == 1 else s)
                 for g, size in enumerate(sizes, start=1) for s in range(1, size + 1)]
        w = rng.dirichlet(np.full(n, 2.0))
        for i, c in enumerate(codes):
            rows.append({"industry4": c, "industry2": d.industry2, "class_weight": w[i]})
    out = pd.DataFrame(rows)
    names = dict(zip(div["industry2"], div["industry2_name"]))
    out["industry4_name"] = [f"{names[j]} class {c % 100:02d}" for j, c in zip(out["industry2"], out["industry4"])]
    return out


def concordance(cls: pd.DataFrame, rng: np.random.Generator, share: float) -> pd.DataFrame:
    """Pre-2003 (GB/T 4754-1994) code of every class and the concordance old -> new.

    A `share` of classes is revised: renumbered (one old code -> one new code),
    merged (two old codes -> one new class; the second old code is an extra row) or
    split (one old code covered two new classes; the old code maps to the one that
    holds more firms). Old codes of revised classes use group 9, free in CIC 2002.
    Returns the class table with `code_old` (what pre-2003 files show) and the
    concordance table (one row per old code, unrevised codes map to themselves).
    """
    cls = cls.copy()
    cls["code_old"] = cls["industry4"]
    cls["code_old_alt"] = 0  # merged classes: second old code some firms carry
    extra_old: list[tuple[int, int]] = []
    for j, grp in cls.groupby("industry2", sort=True):
        idx = grp.index.to_numpy()
        n_rev = int(round(share * len(idx)))
        if n_rev == 0 or len(idx) < 3:
            continue
        chosen = rng.choice(idx, size=n_rev, replace=False)
        free = iter(j * 100 + 90 + s for s in range(1, 10))
        for i in sorted(chosen):
            kind = rng.choice(["renumber", "merge", "split"])
            try:
                old = next(free)
            except StopIteration:
                break
            cls.loc[i, "code_old"] = old
            if kind == "merge":
                alt = next(free, None)
                if alt is not None:
                    cls.loc[i, "code_old_alt"] = alt
                    extra_old.append((alt, int(cls.loc[i, "industry4"])))
            elif kind == "split":
                # The largest other unrevised class of the division shares this old code.
                partners = [k for k in idx if k != i and cls.loc[k, "code_old"] == cls.loc[k, "industry4"]]
                if partners:
                    k = max(partners, key=lambda q: cls.loc[q, "class_weight"])
                    cls.loc[k, "code_old"] = old
    rows = []
    for old, grp in cls.groupby("code_old", sort=True):
        # A split old code maps to the new class holding most of its firms (output).
        target = int(grp.sort_values(["class_weight", "industry4"], ascending=[False, True])["industry4"].iloc[0])
        rows.append((int(old), target))
    rows += extra_old
    conc = pd.DataFrame(sorted(rows), columns=["code_old", "code_new"])
    conc.insert(0, "year_to", 2002)
    conc.insert(0, "year_from", 1998)
    return cls, conc


# Supplier -> buyer links that carry most intermediate trade between divisions.
IO_LINKS = {13: [14, 15, 16], 17: [18, 19, 24, 42], 19: [18], 20: [21], 22: [23, 24, 16],
            25: [26, 28, 31, 32, 33], 26: [27, 28, 29, 30, 22, 17, 13, 20], 28: [17],
            31: [34, 37, 32], 32: [34, 35, 36, 37, 39], 33: [39, 40, 34], 34: [35, 36, 37, 43],
            35: [36, 37], 39: [40, 37, 35, 41, 36], 40: [41, 39, 37, 43, 36, 35], 41: [40, 36],
            30: [40, 39, 24, 42, 37, 21, 14], 29: [37]}
# Nearly every division has a main supplier besides itself and background trade is thin, so
# Forward (the foreign presence of a buyer's suppliers) follows a few supplier divisions
# rather than an average of all 29 (its sd across industry-years: 0.128 [V], docs/calibration.md).


def io_table(codes: list[int], rng: np.random.Generator, q: dict) -> pd.DataFrame:
    """All 30x30 pairs: alpha = share of supplier's output sold to buyer, sigma = share of
    buyer's intermediate inputs bought from supplier (columns sum to 1). `q`: config synth.io_table."""
    n = len(codes)
    pos = {c: i for i, c in enumerate(codes)}
    flows = rng.gamma(q["background_shape"], q["background_scale"], size=(n, n))  # thin background trade
    own_low, own_high = q["own_division"]
    flows[np.diag_indices(n)] += rng.uniform(own_low, own_high, n)  # own-division trade
    link_low, link_high = q["main_link"]
    for s, buyers in IO_LINKS.items():
        for b in buyers:
            flows[pos[s], pos[b]] += rng.uniform(link_low, link_high)
    final_low, final_high = q["final_demand"]
    final = rng.uniform(final_low, final_high, n)  # final demand share of each supplier's output
    alpha = flows / flows.sum(axis=1, keepdims=True) * (1 - final[:, None])
    sigma = flows / flows.sum(axis=0, keepdims=True)
    sup, buy = np.meshgrid(codes, codes, indexing="ij")
    return pd.DataFrame({"industry2_supplier": sup.ravel(), "industry2_buyer": buy.ravel(),
                         "alpha": np.round(alpha.ravel(), 6), "sigma": np.round(sigma.ravel(), 6)})


def deflators(codes: list[int], years: list[int], rng: np.random.Generator, q: dict) -> pd.DataFrame:
    """Output, input and investment deflators by industry-year, 1998 = 1. `q`: config synth.prices."""
    n, t = len(codes), len(years)
    trend = rng.normal(q["output_trend_mean"], q["output_trend_sd"], n)
    trend[codes.index(40)] = q["electronics_trend"]  # electronics prices fall
    out_infl = trend[:, None] + rng.normal(0, q["output_sd"], (n, t))
    in_infl = (q["input_output_weight"] * out_infl
               + q["input_own_weight"] * rng.normal(q["input_mean"], q["input_sd"], (n, t)))
    inv_infl = (np.broadcast_to(rng.normal(q["investment_mean"], q["investment_sd"], t), (n, t))
                + rng.normal(0, q["investment_industry_sd"], (n, t)))
    rows = []
    for infl in (out_infl, in_infl, inv_infl):
        infl = infl.copy()
        infl[:, 0] = 0.0
        rows.append(np.round(np.exp(np.cumsum(infl, axis=1)), 6))
    j, y = np.meshgrid(codes, years, indexing="ij")
    return pd.DataFrame({"industry2": j.ravel(), "year": y.ravel(), "output_deflator": rows[0].ravel(),
                         "input_deflator": rows[1].ravel(), "investment_deflator": rows[2].ravel()})


def catalogue(cls: pd.DataFrame, rng: np.random.Generator, shares: dict,
              concentration: float | None = None, rng_division: np.random.Generator | None = None) -> pd.DataFrame:
    """Status of every class in the 2002 FDI catalogue change: encouraged / unchanged / restricted.

    With `concentration` set, the catalogue's revisions cluster by 2-digit division: each
    division draws its share q of encouraged classes from Beta(e c, (1 - e) c) (mean e, the
    encouraged share; the smaller c, the more a division is wholly encouraged or not), and a
    class is encouraged with probability q, restricted with probability r (1 - q) / (1 - e).
    Presence is measured by division, so only this concentration lets the class-level entry
    effect reach the horizontal measure (docs/calibration.md). Without it classes are drawn
    independently (q = e in every division). The class draws are the same in both cases.
    """
    e, r = shares["encouraged"], shares["restricted"]
    u = rng.uniform(size=len(cls))
    q = np.full(len(cls), e)
    if concentration is not None:
        if rng_division is None:
            raise ValueError("catalogue: a division concentration needs its own random stream")
        divisions = np.unique(cls["industry2"].to_numpy())
        q_div = rng_division.beta(e * concentration, (1 - e) * concentration, size=len(divisions))
        q = q_div[np.searchsorted(divisions, cls["industry2"].to_numpy())]
    status = np.where(u < q, "encouraged", np.where(u < q + r * (1 - q) / (1 - e), "restricted", "unchanged"))
    return pd.DataFrame({"industry4": cls["industry4"].to_numpy(), "status": status})
