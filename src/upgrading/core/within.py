"""Least squares after one demeaning of many columns (Frisch-Waugh-Lovell), with R fixest's inference.

A sample with its fixed effects and weights is demeaned once for the union of the columns its
models use; each model is then a least-squares solve on the demeaned columns. This is what
fixest does for several outcomes in one call, and what pyfixest 0.60 does not: it demeans
again per outcome and builds a formula model matrix per model. The engine
(upgrading.analysis.engine_pyfixest) and the synthetic truth's oracle (upgrading.synth.fwl)
both fit through this module.

Demeaning is the exact projection, solved directly rather than by alternating projections:
the fixed effect with the most levels (the firm) is removed by group means, and the others
(year, city x year, industry, ...) by the normal equations of their dummies net of the first
(a Schur complement, one small dense block per connected set of levels; pivots below
RANK_RTOL of the block's scale are the redundancies among the effects). The result is checked:
the group means of every column within every effect must vanish to CHECK_RTOL of the raw
column's root mean square. A block larger than DIRECT_MAX_BLOCK levels, or a failed check, falls back to
pyfixest's demeaner (alternating projections at tolerance TOL, fixest's algorithm) and the
log says so. Both give the same projection: pyfixest stops at TOL, the direct solve is exact
to rounding, so estimates agree to about 1e-13.

Inference follows fixest with ssc(adj=TRUE, fixef.K="nested", cluster.adj=TRUE, cluster.df="min")
(pyfixest: k_fixef="nonnested") and singletons kept, the formulas of pyfixest 0.60's Feols.vcov:

    df_k  = k + sum_f levels_f - (n_fe - 1) [- sum of levels of effects nested in a cluster + their number]
    iid   : SSR / (N - df_k) (X'X)^-1                                   df_t = N - df_k
    hetero: N / (N - df_k) (X'X)^-1 (sum u_i^2 x_i x_i') (X'X)^-1         df_t = N - df_k
    CRV1  : (N - 1) / (N - df_k) G / (G - 1) (X'X)^-1 (sum_g s_g s_g') (X'X)^-1,  df_t = G - 1

Nesting only counts under clustering. Two-way clustering (Cameron, Gelbach & Miller) adds the
two one-way sandwiches and subtracts the one on their intersection, each with the same factor
(G = the smallest of the three counts). Weights are analytic: demeaned with the weights, then
rows scaled by sqrt(w). tests/analysis/test_within.py checks every registry model against
pf.feols and the direct demeaning against pyfixest's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

VcovKind = Literal["iid", "hetero", "CRV1"]
DemeanMethod = Literal["direct", "map"]

TOL = 1e-12  # tighter than pyfixest's 1e-6 default, so engines differ by rounding, not convergence
MAX_ITER = 100_000
COLLIN_TOL = 1e-10  # pyfixest's default collin_tol
DIRECT_MAX_BLOCK = 4000  # levels of one connected block factorized densely (128 MB, about a second)
RANK_RTOL = 1e-10  # a pivot below this share of the block's largest level weight is a redundancy
CHECK_RTOL = 1e-9  # group means left in a demeaned column, relative to the raw column's root mean square
# cluster counts up to this get per-cluster cross-products (G p^2 numbers) instead of a pass per model
CLUSTER_GRAM_MAX = 10_000
SSR_RTOL = 1e-6  # below this share of y'y, the SSR is recomputed from the residuals
_EIGH_MAX = 64  # blocks up to this size are solved together, one batched eigendecomposition per size


class Collinear(ValueError):
    """Regressors linearly dependent (given the fixed effects): the caller decides what to drop."""


class NotDirect(RuntimeError):
    """The direct solve does not apply (a block too large, or its check failed)."""


def codes(values) -> np.ndarray:
    """Contiguous integer codes 0..L-1 of any labels (one fixed effect or cluster variable)."""
    values = np.asarray(values)
    if values.dtype.kind in "iu" and len(values):
        lo, hi = int(values.min()), int(values.max())
        if lo >= 0 and hi < 2 * len(values) + 1024:  # small non-negative integers: no hashing needed
            present = np.bincount(values) > 0
            if present.all():
                return values.astype(np.int64, copy=False)
            return (np.cumsum(present) - 1)[values]
    return pd.factorize(values, sort=False)[0].astype(np.int64)


def demean_map(values: np.ndarray, fe_codes: np.ndarray, weights: np.ndarray | None = None,
               tol: float = TOL, max_iter: int = MAX_ITER) -> np.ndarray:
    """Columns of `values` (n, p) net of the fixed effects `fe_codes` (n, n_fe), pyfixest's demeaner."""
    from pyfixest.core.demean import demean as demean_map_rs

    w = np.ones(len(values)) if weights is None else np.asarray(weights, dtype=float)
    out, converged = demean_map_rs(np.ascontiguousarray(values, dtype=float),
                                   np.ascontiguousarray(fe_codes, dtype=np.uint64), w, tol, max_iter)
    if not converged:
        raise RuntimeError(f"demeaning did not converge to {tol} in {max_iter} iterations")
    return out


_DENSE_MAX = 1 << 24  # cross-tabulations up to this many cells are counted densely (128 MB)


def _rows(levels: list[np.ndarray], n_levels: int):
    """Sparse (rows x n_levels) indicator: row i has a 1 in column c[i] of every c in `levels`."""
    import scipy.sparse as sp

    n, q = len(levels[0]), len(levels)
    index = np.int32 if n_levels < np.iinfo(np.int32).max and n * q < np.iinfo(np.int32).max else np.int64
    columns = np.empty(n * q, dtype=index)
    for j, c in enumerate(levels):
        columns[j::q] = c
    return sp.csr_array((np.ones(n * q), columns, np.arange(0, n * q + 1, q, dtype=index)), shape=(n, n_levels))


def _crosstab(a: np.ndarray, na: int, b: np.ndarray, nb: int, w: np.ndarray | None):
    """Weight of every (a, b) pair: a dense array when small, else sparse (CSR)."""
    import scipy.sparse as sp

    if na * nb <= _DENSE_MAX:
        key = a * nb + b
        counts = np.bincount(key, minlength=na * nb) if w is None else np.bincount(key, w, na * nb)
        return counts.reshape(na, nb).astype(float)
    return sp.coo_array((np.ones(len(a)) if w is None else w, (a, b)), shape=(na, nb)).tocsr()


def cluster_rows(codes: np.ndarray, n_groups: int) -> list[np.ndarray]:
    """The rows of each group of `codes` (0..n_groups-1), in order."""
    # stable: numpy sorts 16-bit codes by radix, far faster than merging 64-bit ones
    order = np.argsort(codes.astype(np.int16) if n_groups < 2**15 else codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n_groups + 1))
    return [order[bounds[g]:bounds[g + 1]] for g in range(n_groups)]


class _Blocks:
    """Solutions of S g = r for the PSD matrix S, one dense block per connected set of levels;
    directions with a pivot below RANK_RTOL * (the block's largest `scale`) are left at zero."""

    def __init__(self, S, pattern, scale: np.ndarray):
        from scipy.linalg.lapack import dpstrf
        from scipy.sparse.csgraph import connected_components

        K = S.shape[0]
        n_comp, label = connected_components(pattern, directed=False)
        size = np.bincount(label)
        if size.max() > DIRECT_MAX_BLOCK:
            raise NotDirect(f"{size.max()} connected levels of the smaller fixed effects "
                            f"(direct solve up to {DIRECT_MAX_BLOCK})")
        order = np.argsort(label, kind="stable")
        start = np.concatenate([[0], np.cumsum(size)])
        pos = np.empty(K, dtype=np.int64)
        pos[order] = np.arange(K) - start[label[order]]
        S = S.tocoo()
        self.eig, self.dense = [], []
        for s in np.unique(size):
            comps = np.flatnonzero(size == s)
            slot = np.full(n_comp, -1)
            slot[comps] = np.arange(len(comps))
            nodes = np.empty((len(comps), s), dtype=np.int64)
            members = np.flatnonzero(slot[label] >= 0)
            nodes[slot[label[members]], pos[members]] = members
            entries = slot[label[S.row]] >= 0
            blocks = np.zeros((len(comps), s, s))
            blocks[slot[label[S.row[entries]]], pos[S.row[entries]], pos[S.col[entries]]] = S.data[entries]
            floor = RANK_RTOL * scale[nodes].max(axis=1)
            if s <= _EIGH_MAX:
                lam, vectors = np.linalg.eigh(blocks)
                keep = lam > floor[:, None]
                inv = np.divide(1.0, lam, out=np.zeros_like(lam), where=keep)
                self.eig.append((nodes, vectors, inv))
                continue
            for block, idx, tol in zip(blocks, nodes, floor):
                _, piv, rank, _ = dpstrf(block, tol=tol)
                kept = piv[:rank] - 1
                self.dense.append((idx[kept], block[np.ix_(kept, kept)]))

    def solve(self, r: np.ndarray) -> np.ndarray:
        g = np.zeros_like(r)
        for nodes, vectors, inv in self.eig:
            y = np.matmul(vectors.transpose(0, 2, 1), r[nodes]) * inv[:, :, None]
            g[nodes] = np.matmul(vectors, y)
        for idx, block in self.dense:
            g[idx] = np.linalg.solve(block, r[idx])
        return g


class Projection:
    """M_D of one set of fixed effects `fe_codes` (n, n_fe, codes 0..L-1 each, every level
    present) and weights, solved exactly and set up once: `apply` then demeans any (n, p) array
    of columns, so many arrays on the same rows (the wild bootstrap's, one per cluster) share
    the sparse dummies and the factorised blocks. Raises NotDirect where the solve does not apply.

    With F the dummies of the effect with most levels, T those of the others and W the weights:
    m = F-means of V (f = F'W1); the T effects g solve S g = T'WV - C'm with S = T'WT - C' diag(1/f) C
    and C = F'WT; the result is V - F (m - diag(1/f) C g) - T g, one sparse product A [..; g]
    with A = [F T] (a row per observation, one entry per effect).
    """

    def __init__(self, fe_codes: np.ndarray, weights: np.ndarray | None = None):
        import scipy.sparse as sp

        fe = np.asarray(fe_codes, dtype=np.int64)
        fe = fe[:, None] if fe.ndim == 1 else fe
        self.nobs = len(fe)
        levels = [int(v) for v in fe.max(axis=0) + 1]
        big = int(np.argmax(levels))
        self.small = small = [q for q in range(fe.shape[1]) if q != big]
        self.n_big = n_big = levels[big]
        fb = fe[:, big]
        self.w = w = None if weights is None else np.asarray(weights, dtype=float)
        f = np.bincount(fb, w, n_big).astype(float)
        self.inv = 1.0 / f
        offsets = np.cumsum([n_big] + [levels[q] for q in small])
        K = int(offsets[-1]) - n_big
        self.A = _rows([fb] + [fe[:, q] + int(o) for q, o in zip(small, offsets[:-1])], n_big + K)
        if small:
            # C = F'WT and T'WT, one cross-tabulation per pair of effects
            parts = [_crosstab(fb, n_big, fe[:, q], levels[q], w) for q in small]
            if all(isinstance(c, np.ndarray) for c in parts):
                C: Any = np.hstack(parts)
                scaled: Any = C * self.inv[:, None]
            else:
                C = sp.hstack([sp.csr_array(c) for c in parts], format="csr")
                scaled = C.copy()
                scaled.data *= np.repeat(self.inv, np.diff(C.indptr))
            self.C, self.scaled = C, scaled
            grid = [[_crosstab(fe[:, a], levels[a], fe[:, b], levels[b], w) if a != b else
                     sp.diags_array(np.bincount(fe[:, a], w, levels[a]).astype(float))
                     for b in small] for a in small]
            TWT = sp.block_array([[sp.csr_array(x) for x in row] for row in grid], format="csr")
            CtC = sp.csr_array(C.T @ scaled)
            self.S = TWT - CtC
            self.blocks = _Blocks(self.S, abs(TWT) + abs(CtC), TWT.diagonal())
            self.weight = np.concatenate([f, TWT.diagonal()])[:, None]

    def _fitted(self, sums: np.ndarray, mean_square: np.ndarray | None = None) -> np.ndarray:
        """The effects [big; smaller] of the columns whose sums within every level are `sums`,
        written into `sums` (the caller's array, given up: no fresh array of the levels' size).
        With `mean_square` (the columns' mean squares) the solve is checked as `apply` checks
        its output: the level sums the effects leave (zero for the largest effect by
        construction, S g - r for the others) must be below CHECK_RTOL of the columns' root
        mean square; else NotDirect."""
        m = sums[:self.n_big]
        m *= self.inv[:, None]
        if not self.small:
            return _finite(sums)
        r = sums[self.n_big:] - self.C.T @ m
        g = self.blocks.solve(r)
        if mean_square is not None:
            worst = (np.abs(r - self.S @ g) / self.weight[self.n_big:]).max(axis=0)
            if (worst > np.sqrt(mean_square) * CHECK_RTOL).any():
                raise NotDirect(f"level sums of {worst.max():.1e} left by the effects of one cluster's columns")
        for a in range(0, self.n_big, _ROW_BLOCK):
            m[a:a + _ROW_BLOCK] -= self.scaled[a:a + _ROW_BLOCK] @ g
        sums[self.n_big:] = g
        return _finite(sums)

    def apply(self, values: np.ndarray, sumsq: np.ndarray | None = None, overwrite: bool = False) -> np.ndarray:
        """Columns of `values` (n, p) net of the fixed effects; `sumsq`: the columns' sums of
        squares, if the caller has them (they scale the check). overwrite: the result is written
        into `values` (the caller gives it up), with no second (n, p) array: a large array's first
        touch of fresh memory costs more than the demeaning itself on some machines (virtual
        machines, transparent huge pages). Should the check fail, `values` then holds the columns
        less finite effects, whose projection is the same: the fallback demeans that (to its
        tolerance, not bit for bit what it gives from the raw columns)."""
        A, w = self.A, self.w
        V = np.ascontiguousarray(values, dtype=float)
        n = len(V)
        if n != self.nobs:
            raise ValueError(f"Projection of {self.nobs} rows applied to {n}")
        if self.small and sumsq is None:
            sumsq = np.einsum("ij,ij->j", V, V)
        effects = self._fitted(A.T @ (V if w is None else V * w[:, None]))
        if overwrite or V is not values:  # V is ours to write
            out = V
            _subtract_effects(out, A, effects)
        else:
            out = A @ effects
            np.subtract(V, out, out=out)
        if not self.small:
            return out
        # the check: group means of the result within every effect; rounding scales with the
        # input: a column the effects absorb is left with ~1e-16 of its size
        assert sumsq is not None
        scale = np.sqrt(sumsq / n) * CHECK_RTOL
        for step in range(2):
            sums = A.T @ (out if w is None else out * w[:, None])
            worst = (np.abs(sums) / self.weight).max(axis=0)
            if (worst <= scale).all():
                return out
            if step == 0:  # one refinement step: the same solve on what is left
                _subtract_effects(out, A, self._fitted(sums))
        raise NotDirect(f"group means of {worst.max():.1e} left after the direct solve")

    def cluster_scores(self, X: np.ndarray, W: np.ndarray, codes: np.ndarray, n_clusters: int) -> np.ndarray:
        """Q[m, g, :, h] = X_g' (M_D (1{cluster h} W[:, m]))_g for every pair of clusters: (p, G, k, G).

        X (n, k) must be demeaned already (its sums within every level vanish); W (n, p) is any.
        Without re-demeaning a column per cluster: M_D v = v - A e(A'v), so the term is the
        cluster's own X_h' W_h (g = h) less B_g e_h, with e_h the effects of the column masked to
        cluster h (its level sums come from cluster h's rows alone) and B_g = X_g' A_g the sums of
        X within cluster g and each level. Those sums vanish for a level of the largest effect
        that lies within one cluster (a firm in its industry), so B holds only the smaller effects
        and the levels split across clusters. Checked as `apply` checks its output: X's level
        sums and what each cluster's effects leave of its level sums must be below CHECK_RTOL of
        the columns' root mean square (else NotDirect). Unweighted only: weighted demeaning
        zeroes the weighted sums instead (NotDirect)."""
        import scipy.sparse as sp

        if self.w is not None:
            raise NotDirect("cluster scores of a weighted projection")
        X = np.ascontiguousarray(X, dtype=float)
        W = np.ascontiguousarray(W, dtype=float)
        n, k = X.shape
        p, G, A, n_big = W.shape[1], n_clusters, self.A, self.n_big
        q = 1 + len(self.small)
        level = A.indices.reshape(n, q)  # row i's levels: [largest effect, smaller effects (offset)]
        big = level[:, 0]
        home = np.empty(n_big, dtype=np.int64)
        home[big] = codes  # a cluster of each level (any of its rows')
        split = np.flatnonzero(np.bincount(big, home[big] != codes, n_big) > 0)
        # the dropped sums must vanish: X demeaned on these effects (as the direct solve checks)
        scale = np.sqrt(np.einsum("ij,ij->j", X, X) / n) * CHECK_RTOL
        left = np.abs(np.column_stack([np.bincount(big, X[:, c], n_big) for c in range(k)])) * self.inv[:, None]
        if (left.max(axis=0, initial=0.0) > scale).any():
            raise NotDirect("cluster scores of columns not demeaned on these fixed effects")
        K = A.shape[1] - n_big
        # smaller effects: dense (G, k, K), one weighted count per column of X
        B_small = np.zeros((G, k, K))
        for j in range(1, q):
            key = codes * K + (level[:, j] - n_big)
            for c in range(k):
                B_small[:, c, :] += np.bincount(key, X[:, c], G * K).reshape(G, K)
        # split levels of the largest effect: sparse (G k, split levels), from their rows only
        rows = np.flatnonzero(np.isin(big, split))
        position = np.zeros(n_big, dtype=np.int64)
        position[split] = np.arange(len(split))
        B_split = sp.coo_array((X[rows].ravel(), ((codes[rows, None] * k + np.arange(k)).ravel(),
                                                   np.repeat(position[big[rows]], k))),
                               shape=(G * k, len(split))).tocsr()
        out = np.zeros((p, G, k, G))
        for h, r in enumerate(cluster_rows(codes, G)):
            sums = A[r].T @ W[r]
            effects = self._fitted(sums, np.einsum("ij,ij->j", W[r], W[r]) / n)
            scores = np.einsum("gkl,lm->mgk", B_small, effects[n_big:])
            scores += (B_split @ effects[split]).reshape(G, k, p).transpose(2, 0, 1)
            out[:, :, :, h] = -scores
            out[:, h, :, h] += (X[r].T @ W[r]).T
        return out


_ROW_BLOCK = 1 << 16  # rows per block of a sparse product written into an existing array


def _finite(effects: np.ndarray) -> np.ndarray:
    """The effects, checked before anything is taken off a column (written in place, a column
    less finite effects keeps its projection, so the fallback still applies)."""
    if not np.isfinite(effects).all():
        raise NotDirect("the direct solve gave non-finite effects")
    return effects


def _subtract_effects(out: np.ndarray, A, effects: np.ndarray) -> None:
    """out -= A @ effects in row blocks: no second (n, p) array beside `out`."""
    for a in range(0, len(out), _ROW_BLOCK):
        out[a:a + _ROW_BLOCK] -= A[a:a + _ROW_BLOCK] @ effects


def demean_direct(values: np.ndarray, fe_codes: np.ndarray, weights: np.ndarray | None = None,
                  sumsq: np.ndarray | None = None) -> np.ndarray:
    """Columns of `values` (n, p) net of the fixed effects `fe_codes` (n, n_fe, codes 0..L-1 each,
    every level present), exactly (Projection); raises NotDirect where the solve does not apply.
    `sumsq`: the columns' sums of squares, if the caller has them."""
    return Projection(fe_codes, weights).apply(values, sumsq)


class Demeaner:
    """M_D of one set of fixed effects for any number of arrays on the same rows: the direct
    solve, set up once (Projection), or pyfixest's demeaner where it does not apply (logged);
    `method` says which the last call used."""

    def __init__(self, fe_codes: np.ndarray, weights: np.ndarray | None = None):
        self.fe, self.weights = fe_codes, weights
        self.method: DemeanMethod = "direct"
        self._projection: Projection | None = None
        self._direct = True  # until the set-up of the direct solve fails

    def projection(self) -> Projection | None:
        """The direct solve, set up once; None where it does not apply (logged)."""
        if self._direct and self._projection is None:
            try:
                self._projection = Projection(self.fe, self.weights)
            except NotDirect as exc:
                self._direct = False
                log.warning("direct demeaning not applicable (%s): pyfixest's demeaner instead", exc)
        return self._projection

    def __call__(self, values: np.ndarray, sumsq: np.ndarray | None = None, overwrite: bool = False) -> np.ndarray:
        projection = self.projection()
        if projection is not None:
            try:
                self.method = "direct"
                return projection.apply(values, sumsq, overwrite)
            except NotDirect as exc:  # this array's check failed: the set-up serves the next one
                log.warning("direct demeaning not applicable (%s): pyfixest's demeaner instead", exc)
        self.method = "map"
        return demean_map(values, self.fe, self.weights)


def demean(values: np.ndarray, fe_codes: np.ndarray, weights: np.ndarray | None = None,
           sumsq: np.ndarray | None = None, overwrite: bool = False) -> tuple[np.ndarray, DemeanMethod]:
    """Columns of `values` net of the fixed effects (Demeaner), and which method gave them;
    overwrite: the direct solve may write into `values` (Projection.apply)."""
    d = Demeaner(fe_codes, weights)
    return d(values, sumsq, overwrite), d.method


# leave-one-cluster-out Grams from sums by cluster: up to this many levels of the fixed effects
# other than the largest (one K x K eigendecomposition per cluster), and this many entries in
# the counts of those levels by (level of the largest effect, cluster)
COMPLEMENT_MAX_LEVELS = 500
COMPLEMENT_MAX_CELLS = 1 << 24


def cluster_complement_grams(values: np.ndarray, fe_codes: np.ndarray, clusters: np.ndarray,
                             n_clusters: int) -> np.ndarray:
    """For each cluster g, V' M V on the rows outside g, with M the projection off the fixed
    effects estimated on those rows: (n_clusters, p, p), without demeaning once per cluster.

    With F the dummies of the effect with most levels (the firm), T those of the others (K
    levels) and a_f = [sums of V, counts of each T level] over a level f of F (n_f rows), the
    matrix [[V'V, V'T], [T'V, T'T]] less sum_f a_f a_f' / n_f is [[Z'Z, Z'T], [T'Z, S]] with Z = V
    net of F's means and S = T'T - C' diag(1/n) C; the result is Z'Z - (T'Z)' S^+ (T'Z). Without
    cluster g the first matrix loses g's rows, and a_f and n_f change only for the levels with
    rows in g: a level inside g leaves the sum, one spread over clusters (a firm that changes
    industry) enters with what is left of it. So each cluster needs only the sums over its own
    rows and its own levels of F. V is first taken net of F's means on all rows (which leaves
    every projection unchanged) so that the differences do not lose digits. Directions of S
    with an eigenvalue below RANK_RTOL of its largest level count are the redundancies among the
    effects (one floor for all K levels, where the direct solve has one per connected block: the
    same unless some levels are nearly disconnected from the rest). fe_codes and clusters are
    codes 0..L-1 with every level present (`codes`). Unweighted; raises NotDirect beyond
    COMPLEMENT_MAX_LEVELS or COMPLEMENT_MAX_CELLS."""
    V = np.ascontiguousarray(values, dtype=float)
    fe = np.asarray(fe_codes, dtype=np.int64)
    fe = fe[:, None] if fe.ndim == 1 else fe
    clusters = np.asarray(clusters, dtype=np.int64)
    n, p = V.shape
    G = n_clusters
    sizes = [int(v) for v in fe.max(axis=0) + 1]
    outer = int(np.argmax(sizes))
    others = [q for q in range(fe.shape[1]) if q != outer]
    K = sum(sizes[q] for q in others)
    if K > COMPLEMENT_MAX_LEVELS:
        raise NotDirect(f"{K} levels of the smaller fixed effects (up to {COMPLEMENT_MAX_LEVELS})")
    fo = fe[:, outer]
    n_outer = sizes[outer]
    pair_key = fo * G + clusters
    pairs, pair_of_row = np.unique(pair_key, return_inverse=True)
    pair_of_row = pair_of_row.ravel()
    P, m = len(pairs), p + K
    if max(P, n_outer) * K > COMPLEMENT_MAX_CELLS:
        raise NotDirect(f"{max(P, n_outer)} x {K} level counts (up to {COMPLEMENT_MAX_CELLS})")
    count = np.bincount(fo, minlength=n_outer).astype(float)
    Z = V - np.column_stack([np.bincount(fo, V[:, c], n_outer) for c in range(p)])[fo] / count[fo, None]
    offsets = np.cumsum([0] + [sizes[q] for q in others[:-1]])
    level = np.column_stack([fe[:, q] + int(o) for q, o in zip(others, offsets)]) if others \
        else np.zeros((n, 0), dtype=np.int64)

    def sums_by(group: np.ndarray, n_groups: int) -> np.ndarray:
        """[sums of Z, counts of each T level] by group: (n_groups, p + K)."""
        out = np.zeros((n_groups, m))
        for c in range(p):
            out[:, c] = np.bincount(group, Z[:, c], n_groups)
        for a in range(level.shape[1]):
            out[:, p:] += np.bincount(group * K + level[:, a], minlength=n_groups * K).reshape(n_groups, K)
        return out

    a_outer, a_pair = sums_by(fo, n_outer), sums_by(pair_of_row, P)
    n_pair = np.bincount(pair_of_row, minlength=P).astype(float)
    pair_outer, pair_cluster = pairs // G, pairs % G
    # the first matrix by cluster: [Z'Z, Z'T; T'Z, T'T] over the cluster's rows
    first = np.zeros((G, m, m))
    for g, rows in enumerate(cluster_rows(clusters, G)):
        first[g, :p, :p] = Z[rows].T @ Z[rows]
    for a in range(level.shape[1]):
        key = clusters * K + level[:, a]
        for c in range(p):
            first[:, p:, c] += np.bincount(key, Z[:, c], G * K).reshape(G, K)
        for b in range(level.shape[1]):
            pair = key * K + level[:, b]
            first[:, p:, p:] += np.bincount(pair, minlength=G * K * K).reshape(G, K, K)
    first[:, :p, p:] = first[:, p:, :p].transpose(0, 2, 1)
    scaled = a_outer / np.sqrt(count)[:, None]
    total = first.sum(axis=0) - scaled.T @ scaled
    by_cluster = np.argsort(pair_cluster, kind="stable")
    pair_bounds = np.searchsorted(pair_cluster[by_cluster], np.arange(G + 1))
    level_counts = np.diagonal(first[:, p:, p:], axis1=1, axis2=2)  # (G, K): rows per level of T
    out = np.empty((G, p, p))
    for g in range(G):
        mine = by_cluster[pair_bounds[g]:pair_bounds[g + 1]]
        f = pair_outer[mine]
        whole = scaled[f]  # the levels with rows in g leave with all their rows ...
        left = count[f] - n_pair[mine]
        part = left > 0  # ... and those with rows elsewhere come back with the rest
        rest = (a_outer[f[part]] - a_pair[mine[part]]) / np.sqrt(left[part])[:, None]
        M = total - first[g] + whole.T @ whole - rest.T @ rest
        S = M[p:, p:]
        lam, vec = np.linalg.eigh(S)
        floor = RANK_RTOL * max(float((level_counts.sum(axis=0) - level_counts[g]).max(initial=0.0)), 1.0)
        keep = lam > floor
        proj = vec[:, keep].T @ M[p:, :p]
        out[g] = M[:p, :p] - proj.T @ (proj / lam[keep, None])
    return out


def nested(fe: np.ndarray, cluster: np.ndarray) -> bool:
    """Whether every level of `fe` lies within one cluster (both integer codes)."""
    fe = np.asarray(fe, dtype=np.int64)
    cluster = np.asarray(cluster)
    member = np.empty(int(fe.max()) + 1, dtype=cluster.dtype)
    member[fe] = cluster  # the cluster of one row of each level
    return bool((member[fe] == cluster).all())


@dataclass(frozen=True)
class Fit:
    """One model's least squares on demeaned columns and its fixest inference."""

    coefnames: list[str]
    coef: np.ndarray
    vcov: np.ndarray
    df_k: int
    df_t: int
    nobs: int
    n_clusters: int | None
    r2: float
    r2_within: float

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.vcov))

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """Estimate, SE, t, p and confidence interval per coefficient, as pyfixest's Feols.tidy()."""
        # Student t from scipy.special (what scipy.stats.t calls), without scipy.stats' import cost
        from scipy.special import stdtr, stdtrit

        se = self.se
        tstat = self.coef / se
        z = abs(stdtrit(self.df_t, alpha / 2))
        return pd.DataFrame({
            "Estimate": self.coef, "Std. Error": se, "t value": tstat,
            "Pr(>|t|)": 2 * (1 - stdtr(self.df_t, np.abs(tstat))),
            f"{100 * alpha / 2:g}%": self.coef - z * se, f"{100 * (1 - alpha / 2):g}%": self.coef + z * se,
        }, index=pd.Index(self.coefnames, name="Coefficient"))


class Within:
    """One sample's columns demeaned once for its fixed effects (and weights).

    method "direct" solves the projection exactly (falling back to pyfixest's demeaner where it
    does not apply, see the module docstring); "map" uses pyfixest's demeaner. `self.method`
    says which one demeaned. overwrite: the caller gives up `values`, which the direct solve
    turns into the demeaned columns in place (no second array of the sample's size).
    """

    def __init__(self, values: np.ndarray, names: list[str], fe_codes: np.ndarray,
                 weights: np.ndarray | None = None, method: DemeanMethod = "direct", overwrite: bool = False):
        given = values
        values = np.ascontiguousarray(values, dtype=float)
        overwrite = overwrite or values is not given  # a converted copy is ours
        fe_codes = np.asarray(fe_codes)
        fe_codes = fe_codes if fe_codes.ndim == 2 else fe_codes[:, None]
        coded = [codes(fe_codes[:, j]) for j in range(fe_codes.shape[1])]
        self.fe_codes = fe_codes if all(np.shares_memory(c, fe_codes) for c in coded) else np.column_stack(coded)
        self.nobs = len(values)
        self.weights = None if weights is None else np.asarray(weights, dtype=float)
        w = np.ones(self.nobs) if self.weights is None else self.weights
        # total sum of squares of each raw column around its (weighted) mean (the R2 denominator)
        # from raw moments; a NaN anywhere makes its column's NaN
        mean = (w @ values) / w.sum()
        sumsq = np.einsum("ij,ij->j", values, values)
        sumsq_w = sumsq if self.weights is None else np.einsum("i,ij,ij->j", w, values, values)
        self._tss = sumsq_w - w.sum() * mean**2
        if np.isnan(self._tss).any():
            raise ValueError("Within: rows with missing values must be dropped first")
        # where the mean dwarfs the spread the difference loses digits: centre those columns
        for j in np.flatnonzero(w.sum() * mean**2 > 1e4 * self._tss):
            self._tss[j] = w @ (values[:, j] - mean[j]) ** 2
        if method == "direct":
            demeaned, self.method = demean(values, self.fe_codes, self.weights, sumsq=sumsq, overwrite=overwrite)
        else:
            demeaned, self.method = demean_map(values, self.fe_codes, self.weights), "map"
        if self.weights is not None:
            demeaned *= np.sqrt(w)[:, None]
        self.values = demeaned
        # every model's X'X, X'y and y'y are entries of this one cross-product matrix
        self._gram = demeaned.T @ demeaned
        self.position = {n: i for i, n in enumerate(names)}
        self.fe_levels = [int(self.fe_codes[:, j].max()) + 1 for j in range(self.fe_codes.shape[1])]
        self._nested: dict = {}
        self._clusters: dict = {}

    def columns(self, names: list[str]) -> np.ndarray:
        return self.values[:, [self.position[n] for n in names]]

    def coef(self, outcomes: list[str], regressors: list[str]) -> dict[str, np.ndarray]:
        """{outcome: coefficients in regressor order}, every outcome from one solve."""
        beta = np.linalg.lstsq(self.columns(regressors), self.columns(outcomes), rcond=None)[0]
        return {y: beta[:, i] for i, y in enumerate(outcomes)}

    def _df_k(self, k: int, clusters: list[np.ndarray]) -> int:
        n_fe = len(self.fe_levels)
        df_k = k + sum(self.fe_levels) - (n_fe - 1)
        nested_levels = [self.fe_levels[j] for j in range(n_fe)
                         if any(self._is_nested(j, c) for c in clusters)]
        return df_k - sum(nested_levels) + len(nested_levels)

    def _is_nested(self, j: int, cluster: np.ndarray) -> bool:
        key = (j, id(cluster))
        if key not in self._nested:
            self._nested[key] = (nested(self.fe_codes[:, j], cluster), cluster)  # keep the array: id stays valid
        return self._nested[key][0]

    def _cluster(self, c: np.ndarray) -> dict:
        """Count and, for up to CLUSTER_GRAM_MAX clusters, the cross-products of every demeaned
        column within each cluster (G, p, p): then a model's cluster scores are
        X_g'y_g - X_g'X_g b, without a pass over the rows."""
        key = id(c)
        if key not in self._clusters:
            size = np.bincount(c)
            gram = None
            if len(size) <= CLUSTER_GRAM_MAX:
                order = np.argsort(c.astype(np.uint16), kind="stable")
                bounds = np.concatenate([[0], np.cumsum(size)])
                # one cluster's rows at a time, in one buffer: not a sorted copy of every column
                buffer = np.empty((int(size.max()), self.values.shape[1]))
                gram = np.empty((len(size), self.values.shape[1], self.values.shape[1]))
                for g, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
                    rows = np.take(self.values, order[a:b], axis=0, out=buffer[:b - a])
                    gram[g] = rows.T @ rows
            self._clusters[key] = {"codes": c, "G": len(size), "gram": gram}  # keep c: id stays valid
        return self._clusters[key]

    def _intersection(self, c0: np.ndarray, c1: np.ndarray) -> np.ndarray:
        key = ("x", id(c0), id(c1))
        if key not in self._clusters:
            self._clusters[key] = {"codes": codes(c0 * (int(c1.max()) + 1) + c1), "pair": (c0, c1)}
        return self._clusters[key]["codes"]

    def _residuals(self, i: int, ix: list[int], beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = self.values[:, ix]
        return X, self.values[:, i] - X @ beta

    def fit(self, outcome: str, regressors: list[str], vcov: VcovKind,
            clusters: list[np.ndarray] | None = None) -> Fit:
        """Least squares of `outcome` on `regressors` with iid, HC1 or CRV1 (one- or two-way) errors.

        clusters: integer codes per cluster variable (CRV1 only). Raises Collinear when a
        regressor is collinear with the others or the fixed effects (pyfixest's criterion).
        """
        from pyfixest.core.collinear import find_collinear_variables

        ix = [self.position[r] for r in regressors]
        i = self.position[outcome]
        N, k = self.nobs, len(ix)
        xtx = self._gram[np.ix_(ix, ix)]
        dropped, n_dropped, _ = find_collinear_variables(np.ascontiguousarray(xtx), COLLIN_TOL)
        if n_dropped:
            raise Collinear(f"collinear: {[r for r, d in zip(regressors, dropped) if d]}")
        xty, yty = self._gram[ix, i], self._gram[i, i]
        beta = np.linalg.solve(xtx, xty)
        # SSR = y'y - b'X'y loses digits as the fit becomes exact: then from the residuals
        ssr = yty - beta @ xty
        if ssr <= SSR_RTOL * yty:
            _, u = self._residuals(i, ix, beta)
            ssr = u @ u
        bread = np.linalg.inv(xtx)
        n_clusters = None
        if vcov == "CRV1":
            if not clusters or len(clusters) > 2:
                raise ValueError("CRV1 needs one or two cluster variables")
            cols = list(clusters) + ([self._intersection(*clusters)] if len(clusters) == 2 else [])
            info = [self._cluster(c) for c in cols]
            G = min(c["G"] for c in info)
            df_k = self._df_k(k, cols)
            factor = (N - 1) / (N - df_k) * G / (G - 1)
            meat = np.zeros((k, k))
            for c, sign in zip(info, (1, 1, -1)):
                if c["gram"] is not None:
                    Z = c["gram"]
                    summed = Z[:, ix, i] - Z[:, ix][:, :, ix] @ beta
                else:
                    X, u = self._residuals(i, ix, beta)
                    summed = np.column_stack([np.bincount(c["codes"], X[:, j] * u, minlength=c["G"])
                                              for j in range(k)])
                meat += sign * (summed.T @ summed)
            V = factor * bread @ meat @ bread
            df_t, n_clusters = G - 1, G
        else:
            df_k = self._df_k(k, [])
            if vcov == "hetero":
                X, u = self._residuals(i, ix, beta)
                scores = X * u[:, None]
                V = N / (N - df_k) * bread @ (scores.T @ scores) @ bread
            else:
                V = ssr / (N - df_k) * bread
            df_t = N - df_k
        return Fit(list(regressors), beta, V, df_k, df_t, N, n_clusters,
                   r2=float(1 - ssr / self._tss[i]), r2_within=float(1 - ssr / yty))
