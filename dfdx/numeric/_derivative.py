"""Derivatives of black-box callables: derivative, gradient, jacobian, hessian, hvp.

Every estimate comes from one engine (`_directional`): the n-th derivative of
``t -> f(x + t u)`` at t = 0 for a set of directions u, on step levels
``h_k = h0 * 2**-k``. Each level gives one high-order stencil estimate
(Richardson extrapolation in closed form): for n = 1 a window of 4 levels with
geometric offsets ``±h_k`` (2 new evaluations per level), for n >= 2 equispaced
offsets ``±j h_k / m`` (far better conditioned).

Finding f's own scale. The sweep starts at the largest scale f can have at x
(1/2 absolute for |x| <= 1, |x|/2 beyond: steps scale with |x|) and walks down as
many decades as it takes (64 levels at most, ~19 decades). Far above f's scale
(sin(100 x) at h = 1/2, 1/x at 1e-8 with h = 1e-3) the estimates are aliased; a
level counts only once the sweep reaches the regime where they converge (its
difference to the level before shrinks, or is rounding). The error of a level is

    max(|e_k - e_{k-1}|, |e_{k-j} - e_{k-j-1}| / 2**(j p) for j = 1..3) + s * rounding,

inflated by ``2 rho / (1 - rho)`` when the differences shrink by a ratio rho slower
than the order p predicts (f not smooth). The rounding of a level is
``8 eps sum|c_i f_i| / h**n`` plus what rounding the points x + t themselves costs
(``|g'| |(x + t) - x - t|``: it decides the error of sin at 1e10); s >= 1 is the
noise factor, measured where the differences stop shrinking (f's own rounding, a
float32 staircase, added noise). The sweep stops once the error meets the target
(relative sqrt(eps) by default, as scipy) or rounding makes smaller steps useless.

Checking it. The chosen level is then compared with an independent stencil (the
same pattern at 0.7 times the step: no shared point). A disagreement of the size of
f's own variation is aliasing: that level and all coarser ones are discarded and the
sweep goes on; a smaller one is noise: s is raised to what it shows and the level
chosen again. An estimate that fails three checks gets ``error = inf`` and
``info["uncertain"] = True``: never a small error bar on a wrong value. The value
returned may combine the chosen level's stencil with the previous one's (points
already evaluated, two or more orders higher), with the error bound from the
triangle inequality. Before the sweep, a probe at ``x ± h0`` finds where f is
defined: the step shrinks until both sides are, or the stencil turns one-sided.
"""

from __future__ import annotations

import warnings

import numpy as np

from dfdx._errors import DomainError
from dfdx.numeric._evaluate import Evaluator, check_callable, executor_of
from dfdx.numeric._extrapolate import EPS, NOISE_ULPS, richardson_window
from dfdx.numeric._stencils import geometric_offsets
from dfdx.result import Estimate

__all__ = ["derivative", "gradient", "jacobian", "hessian", "hvp"]

Q = 2.0          # ratio between successive steps
_RTOL = float(np.finfo(float).eps) ** 0.5   # default relative target, as scipy.differentiate
MAX_N = 6
# scales (times the chosen step) of the independent check stencils: not dyadic, so they share
# no point with the sweep's levels
_CHECKS = (0.7, 0.59, 0.83)
# a disagreement implying noise above this share of |f| is f's own variation (aliasing)
_MAX_NOISE_REL = 1e-5
_METHODS = ("central", "forward", "backward", "complex-step")


def _pattern(n: int, side: int):
    """Return (offsets, lag) of the stencil used for order n on `side`.

    n = 1 uses geometric offsets ``±2**-j`` spread over `lag` + 1 step levels (2 new
    points per level, as cheap as it gets); n >= 2 uses equispaced offsets
    ``j / m`` at each level, because geometric stencils amplify rounding by
    ~1e10 for n = 6 where equispaced ones amplify it by ~1e2.
    """
    if n == 1:
        w = 4 if side == 0 else 6
        return geometric_offsets(w, Q, side), w - 1
    if side == 0:
        m = 4 + (n - 1) // 2
        return np.arange(-m, m + 1) / m, 0
    M = n + 5
    return side * np.arange(0, M + 1) / M, 0


def _default_step(x: np.ndarray) -> np.ndarray:
    # why: the sweep walks down from the largest scale f can have at x: 1/2 absolute for
    # |x| <= 1 (as in scipy), |x| / 2 beyond (x**2 at 1e20 needs steps ~1e19; sin at 1e10
    # finds its scale ~1 further down). A power of two, so that x + h is exact in binary.
    s = 0.5 * np.maximum(1.0, np.abs(x))
    return 2.0 ** np.round(np.log2(s))


def _check_x(x, who):
    try:
        xa = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"dfdx.numeric.{who} needs x to be a real number or array, got "
                        f"{type(x).__name__} {x!r:.60}.") from None
    if not np.all(np.isfinite(xa)):
        raise ValueError(f"dfdx.numeric.{who} needs a finite x, got {x!r:.80}; "
                         "for behaviour at infinity use dfdx.numeric.limit.")
    return xa


def _check_n(n):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"the derivative order n must be an integer 0..{MAX_N}, got {n!r}.")
    if n < 0:
        raise ValueError(f"the derivative order n must be >= 0, got n={n}. For an antiderivative "
                         "use scipy.integrate.")
    if n > MAX_N:
        raise ValueError(f"numeric derivatives of order n={n} are too noisy to be useful; dfdx.numeric "
                         f"supports n <= {MAX_N}. Use AD (dfdx.derivative) or dfdx.symbolic.diff.")


def _level_errors(E, R, P, s):
    """Error of every level's estimate from the history of the sweep.

    Args:
        E, R: shape (L, D, K): the estimates and their rounding (noise model) per level.
        P: shape (L, D, K): the stencil orders.
        s: shape (D, K): the noise factor (1: rounding only; more where noise was measured).

    Returns:
        ``(err, slow)``: err shape (L, D, K) (inf where undefined), slow (D, K) True
        where the differences shrank slower than the order predicts somewhere.

    why: successive levels share most of their points, so one small difference can be
    a coincidence (f aliased at steps far above its scale); the error of a level is
    bounded below by each of the three differences before it, scaled by the order.
    """
    L = E.shape[0]
    with np.errstate(all="ignore"):
        d = np.full(E.shape, np.inf)
        if L > 1:
            d[1:] = np.abs(E[1:] - E[:-1])
        d = np.where(np.isnan(d), np.inf, d)
        q = Q ** (-P.astype(float))
        guard = np.zeros(E.shape)
        for j in (1, 2, 3):
            if L > j + 1:
                g = np.full(E.shape, 0.0)
                g[j + 1:] = d[1:L - j] * q[j + 1:] ** j
                guard = np.fmax(guard, g)
        dd = d.copy()
        slow_any = np.zeros(E.shape[1:], dtype=bool)
        err_fix = np.zeros(E.shape)
        if L > 2:
            rho = d[2:] / d[1:-1]
            slow = (rho > 0.4) & (rho < 1)
            slow_any = np.any(slow & (E[2:] != 0), axis=0)
            # why: convergence slower than the order predicts (f not smooth at x, e.g.
            # x**1.5 at 0): bound the rest of the tail geometrically with the observed ratio
            dd[2:] = np.where(slow, 2 * d[2:] * rho / (1 - rho), d[2:])
            err_fix[1:-1] = np.where(slow, 2 * d[2:] / (1 - rho), 0.0)
        err = np.fmax(np.fmax(dd, guard), err_fix) + s[None] * R
        # why: a level counts only once the sweep has reached the regime where the estimates
        # converge: its difference smaller than the one before, or explained by rounding.
        # Far above f's scale the estimates are tiny (~ f / h**n) and so are their absolute
        # differences, but they grow level by level (1/x at 1e-8 from h = 0.5).
        noise_floor = 2 * s[None] * (R + np.concatenate([R[:1], R[:-1]]))
        shrinking = np.zeros(E.shape, dtype=bool)
        if L > 2:
            shrinking[2:] = d[2:] < d[1:-1]
        eligible = shrinking | (d <= noise_floor)
        eligible[0] = False
        err = np.where(eligible, err, np.inf)
    err = np.where(np.isfinite(err), err, np.inf)
    return err, slow_any


def _directional(point_fn, D, n, h0, side, f0, *, tol, rtol, max_levels):
    """Estimate the n-th derivatives of g_d(t) = f(point_fn(d, t)) at t = 0.

    The sweep walks down the step levels ``h0 2**-k`` until the error meets the
    target, or rounding (or measured noise) makes smaller steps useless. Then an
    independent stencil (the same pattern at 0.7 times the chosen step: no shared
    point) checks the value. When the two disagree, either f was aliased at that step
    (the implied noise is of the size of f itself: the level is discarded and the sweep
    goes on to smaller steps) or f is noisy (the noise factor is raised to what the
    disagreement shows and the level is chosen again). An estimate that fails three
    checks gets ``error = inf``: uncertain, never a small error bar on a wrong value.

    Args:
        point_fn: ``point_fn(idx, t) -> values`` evaluates g at offsets ``t`` for the
            directions ``idx``; returns shape (len(idx), K), NaN where undefined.
            ``point_fn.arg_error(idx, t)`` is the rounding of the offsets themselves
            (``|(x + t) - x - t|``, in units of t).
        D: number of directions.
        n: derivative order (>= 1).
        h0: shape (D,), first (largest) step per direction.
        side: shape (D,), 0 central, +1 forward, -1 backward.
        f0: shape (D, K), g_d(0) (NaN where undefined).

    Returns:
        dict with ``value``, ``error``, ``step``, ``order``, ``converged``,
        ``uncertain`` (each (D, K)) and ``levels``.
    """
    sweep = _Sweep(point_fn, D, n, h0, side, f0, tol=tol, rtol=rtol, max_levels=max_levels)
    for _ in range(3 * max_levels):
        sweep.descend()
        sweep.measure_noise()
        if not sweep.check():
            break
    return sweep.result()


class _Sweep:
    """The state of `_directional`'s sweep over step levels, one step per method.

    Per level k (step ``h0 Q**-k``) it keeps the estimate E, its rounding R, its
    order P and the scale S, and which levels a check discarded (``invalid``); per
    element (D, K) the noise factor ``s`` over the rounding model, whether the
    element is ``done`` descending, its checks ``tries`` and whether it ``failed``.
    """

    def __init__(self, point_fn, D, n, h0, side, f0, *, tol, rtol, max_levels):
        self.point_fn, self.D, self.n, self.h0, self.f0 = point_fn, D, n, h0, f0
        self.tol, self.rtol, self.max_levels = tol, rtol, max_levels
        self.K = K = f0.shape[1]
        self.pats = {sd: _pattern(n, sd) for sd in (0, 1, -1)}
        self.U = U = np.unique(np.concatenate([p[0] for p in self.pats.values()]))
        self.lag = self.pats[0][1]
        self.allowed = {sd: np.searchsorted(U, self.pats[sd][0]) for sd in self.pats}
        self.groups = {sd: np.nonzero(side == sd)[0] for sd in (0, 1, -1)}
        self.umin = np.min(np.abs(U[U != 0]))
        self.xscale = getattr(point_fn, "xscale", np.zeros(D))
        self.E, self.R, self.P, self.S = [], [], [], []   # per level: estimate, rounding, order, scale (D,)
        self.invalid = []                   # per level: (D, K) levels discarded by a check
        self.s = np.ones((D, K))            # noise factor over the rounding model
        self.done = np.zeros((D, K), dtype=bool)
        self.tries = np.zeros((D, K), dtype=int)
        self.failed = np.zeros((D, K), dtype=bool)
        self.gap_b = np.zeros((D, K))
        self.nlev = 0

    def stencil(self, scale, rows):
        """(est, rnd, order, spike), each (D, K), at per-direction `scale` for the directions `rows`.

        ``spike`` marks where f(x) is a spike at that step (see below).
        """
        D, K, U, f0, point_fn = self.D, self.K, self.U, self.f0, self.point_fn
        vals = np.full((D, K, U.size), np.nan)
        dts = np.zeros((D, U.size))
        for sd, idx in self.groups.items():
            idx = idx[rows[idx]]
            if idx.size == 0:
                continue
            cols = self.allowed[sd]
            t = (scale[idx][:, None] * U[cols][None, :]).reshape(-1)
            ii = np.repeat(idx, cols.size)
            v = point_fn(ii, t).reshape(idx.size, cols.size, K)
            vals[np.ix_(idx, np.arange(K), cols)] = np.moveaxis(v, 1, 2)
            dts[np.ix_(idx, cols)] = point_fn.arg_error(ii, t).reshape(idx.size, cols.size)
        # why: x + t is rounded, so f is evaluated a little off the stencil; that costs
        # |g'| |offset error| per value, with |g'| bounded by the slopes seen on this level.
        tU = np.abs(scale[:, None] * U[None, :])
        with np.errstate(all="ignore"):
            sl = np.abs(vals - f0[:, :, None]) / np.where(tU > 0, tU, np.nan)[:, None, :]
            slope = np.where(np.isfinite(sl), sl, 0.0).max(axis=2)
        noise = slope[:, :, None] * dts[:, None, :]
        e, r, o = richardson_window(vals.reshape(D * K, -1), U, np.repeat(scale, K), self.n,
                                    noise=noise.reshape(D * K, -1))
        # why: f(x) far outside the range of its neighbours (1/x**2 at 1e-100 with h = 1e-3:
        # 1e200 against ~1e6) means f has a pole or spike closer than the smallest offset:
        # this step does not resolve f at x, whatever its estimates say
        side_vals = np.where((U != 0)[None, None, :], vals, np.nan)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")   # all-NaN rows: no neighbours, no verdict
            lo, hi = np.nanmin(side_vals, axis=2), np.nanmax(side_vals, axis=2)
            spike = np.isfinite(f0) & ((f0 - hi > 10 * (hi - lo) + 1e-300) |
                                       (lo - f0 > 10 * (hi - lo) + 1e-300))
        return e.reshape(D, K), r.reshape(D, K), o.reshape(D, K), spike & rows[:, None]

    def add_level(self, rows):
        scale = self.h0 * Q ** -len(self.E)
        e, r, o, spike = self.stencil(scale, rows)
        self.E.append(e), self.R.append(r), self.P.append(o), self.S.append(scale)
        self.invalid.append(spike)

    def fill(self, rows):
        """Compute the levels that `rows` skipped while they were done."""
        for k in range(len(self.E)):
            miss = rows & np.isnan(self.E[k]).all(axis=1)
            if miss.any():
                e, r, o, spike = self.stencil(self.S[k], miss)
                self.invalid[k] = self.invalid[k] | spike
                self.E[k] = np.where(miss[:, None], e, self.E[k])
                self.R[k] = np.where(miss[:, None], r, self.R[k])
                self.P[k] = np.where(miss[:, None], o, self.P[k])

    def pick(self):
        """The best level per element: (k, value, error, order, rounding, last rounding, slow)."""
        Ea, Ra, Pa = np.stack(self.E), np.stack(self.R), np.stack(self.P)
        err, slow = _level_errors(Ea, Ra, Pa, self.s)
        err = np.where(np.stack(self.invalid), np.inf, err)
        k = np.argmin(err, axis=0)
        take = lambda A: np.take_along_axis(A, k[None], axis=0)[0]  # noqa: E731
        return k, take(Ea), take(err), take(Pa), take(Ra), Ra[-1], slow

    def descend(self):
        """Sweep the open elements down the levels until each meets its target or a floor."""
        while len(self.E) < self.max_levels:
            rows = ~self.done.all(axis=1)
            if not rows.any():
                break
            self.add_level(rows)
            self.nlev = max(self.nlev, len(self.E))
            if len(self.E) < 2:
                continue
            k_b, v_b, e_b, p_b, r_b, r_last, slow = self.pick()
            kcur = len(self.E) - 1
            target = np.maximum(self.tol, self.rtol * np.abs(v_b))
            floor = (kcur - k_b >= 2) & (self.s * r_last >= e_b)
            tiny = (self.S[-1] * self.umin < 64 * EPS * self.xscale)[:, None]
            self.done |= (e_b <= target) | floor | tiny

    def measure_noise(self):
        """Raise the noise factor to what the levels past the chosen one show."""
        # why: f's own rounding can far exceed the model (1/(x**2 - 4) near 2 loses digits to
        # cancellation inside f); past the best level the differences are that noise, so
        # their size over the rounding model is the factor by which the model is short.
        # Noise is a property of f, not of a level: where the differences stop shrinking
        # (past the best level, or on the way down between aliasing and convergence: a
        # float32 staircase is noisy there and exactly flat below), their size over the
        # rounding model is measured on every level whose implied noise is believable.
        if len(self.E) <= 2:
            return
        Ea, Ra = np.stack(self.E), np.stack(self.R)
        with np.errstate(all="ignore"):
            d = np.abs(Ea[1:] - Ea[:-1])
            dh = d / (Ra[1:] + Ra[:-1])
            grow = np.zeros(d.shape, dtype=bool)
            grow[1:] = d[1:] >= d[:-1]
            inv = np.stack(self.invalid)[1:]
            use = grow & ~inv & np.isfinite(dh) & (dh * NOISE_ULPS * EPS <= _MAX_NOISE_REL)
            s_hist = np.where(use, dh, 0.0).max(axis=0)
        self.s = np.where(2 * s_hist > self.s, 2 * s_hist, self.s)

    def check(self):
        """Check each chosen level with an independent stencil; True if some must sweep on."""
        k_b, v_b, e_b, p_b, r_b, _, slow = self.pick()
        todo = ~self.failed & (self.tries < len(_CHECKS)) & np.isfinite(e_b)
        if not todo.any():
            return False
        s, tries = self.s, self.tries
        reopen = np.zeros((self.D, self.K), dtype=bool)
        for kb in np.unique(k_b[todo]):
            here = todo & (k_b == kb)
            rows = here.any(axis=1)
            c = _CHECKS[min(int(tries[here].max()), len(_CHECKS) - 1)]
            ce, cr, _, _ = self.stencil(self.S[kb] * c, rows)
            with np.errstate(all="ignore"):
                gap = np.abs(ce - v_b)
                ok = gap <= e_b + s * cr
                s_new = gap / (r_b + cr)
            bad = here & ~ok
            tries = np.where(here, tries + 1, tries)
            self.gap_b = np.where(here, gap, self.gap_b)
            # even when they agree, two independent estimates differ by about their noise
            s = np.where(here & ok & (s_new * NOISE_ULPS * EPS <= _MAX_NOISE_REL), np.fmax(s, s_new), s)
            # aliasing: the disagreement is of the size of f's own variation, not noise
            with np.errstate(invalid="ignore"):
                alias = bad & ~((s_new * NOISE_ULPS * EPS <= _MAX_NOISE_REL) & (gap <= 0.1 * np.abs(v_b)))
            noisy = bad & ~alias
            # f is not resolved at this step, so at none of the larger ones either
            for j in range(int(kb) + 1):
                self.invalid[j] = self.invalid[j] | alias
            tries = np.where(alias, tries - 1, tries)   # the sweep goes on: not a failed try
            s = np.where(noisy, np.fmax(s, 4 * s_new), s)
            self.failed |= bad & (tries >= len(_CHECKS))
            reopen |= bad & ~self.failed
            tries = np.where(here & ok, len(_CHECKS), tries)   # passed: no more checks
        self.s, self.tries = s, tries
        if not reopen.any():
            return False
        self.fill(reopen.any(axis=1))
        self.done &= ~reopen
        return True

    def result(self):
        """The estimate per element, with its error, step, order and verdicts."""
        D, K = self.D, self.K
        k_b, best_v, best_e, best_p, _, _, ever_slow = self.pick()
        best_h = np.stack(self.S)[k_b, np.arange(D)[:, None]] * np.max(np.abs(self.U))
        uncertain = self.failed | ~np.isfinite(best_e)
        best_e = np.where(self.failed, np.inf, best_e)
        # why: the value returned may combine the best level's stencil with the previous
        # level's (points already evaluated): a higher order at no cost. By the triangle
        # inequality its error is at most the level value's own error, which in the regular
        # regime is its error bar scaled by the order gained per level (2**-p), plus what
        # separates the two values, plus its own rounding. Not where convergence was slow
        # (f not smooth) or noisy: there the orders mean nothing and the level's value is kept.
        wv, wr = _wide_estimate(self.point_fn, D, K, self.n, self.h0, k_b + self.lag, self.lag,
                                self.pats, self.groups)
        with np.errstate(invalid="ignore"):
            ok = (np.isfinite(wv) & np.isfinite(best_e) & (np.abs(wv - best_v) <= best_e) & ~ever_slow
                  & (self.s <= 2))
            tight = np.abs(wv - best_v) + best_e * Q ** -best_p.astype(float) + self.s * wr
        best_v = np.where(ok, wv, best_v)
        best_e = np.where(ok, np.fmax(tight, self.gap_b), best_e)
        # why: at an edge where the derivative is infinite (sqrt at 0) the estimates grow
        # steadily as h shrinks; no finite error bar is honest then.
        if len(self.E) >= 4:
            hs = np.abs(np.stack(self.E[-4:]))
            rs = np.stack(self.R[-4:])
            with np.errstate(all="ignore"):
                growing = (np.all(hs[1:] > 1.2 * hs[:-1], axis=0) & np.all(hs > 10 * rs, axis=0)
                           & (best_e > 1e-6 * np.abs(best_v)))
            best_e = np.where(growing, np.inf, best_e)
        converged = np.isfinite(best_e) & (best_e <= np.maximum(self.tol, self.rtol * np.abs(best_v))
                                           * 1e3 + 1e-300)
        return dict(value=best_v, error=best_e, step=best_h, order=best_p, converged=converged,
                    uncertain=uncertain | ~np.isfinite(best_e), levels=self.nlev, noise=self.s)


def _wide_estimate(point_fn, D, K, n, h0, best_k, lag, pats, groups):
    """Estimates on the union of the stencils of each element's best level and the one before.

    Returns (estimate, rounding), NaN where the best level is the first. Every point
    used was evaluated already: this costs no evaluations.
    """
    est = np.full((D, K), np.nan)
    rnd = np.full((D, K), np.inf)
    # offsets in units of the previous level's scale: its own pattern and the next one, halved
    offs = {sd: np.unique(np.concatenate([pats[sd][0], pats[sd][0] / Q])) for sd in (0, 1, -1)}
    Uw = np.unique(np.concatenate(list(offs.values())))
    for k in np.unique(best_k):
        if k < lag + 1:
            continue
        rows = np.nonzero((best_k == k).any(axis=1))[0]
        scale = h0 * Q ** -(int(k) - 1 - lag)
        vals = np.full((D, K, Uw.size), np.nan)
        for sd, idx in groups.items():
            idx = np.intersect1d(idx, rows)
            if idx.size == 0:
                continue
            cols = np.searchsorted(Uw, offs[sd])
            t = (scale[idx][:, None] * Uw[cols][None, :]).reshape(-1)
            v = point_fn(np.repeat(idx, cols.size), t).reshape(idx.size, cols.size, K)
            vals[np.ix_(idx, np.arange(K), cols)] = np.moveaxis(v, 1, 2)
        e, r, _ = richardson_window(vals.reshape(D * K, -1), Uw, np.repeat(scale, K), n)
        here = best_k == k
        est = np.where(here, e.reshape(D, K), est)
        rnd = np.where(here, r.reshape(D, K), rnd)
    return est, rnd


def _probe_sides(point_fn, D, h0, side, f0):
    """Choose central or one-sided stencils per direction from where f is defined.

    Returns the (possibly reduced) first steps, the side per direction (2 when f is
    defined on neither side) and a note per direction ("" when nothing changed).
    """
    h = h0.copy()
    notes = [""] * D
    todo = np.nonzero(side == 0)[0]
    first_ok_p = np.zeros(D, dtype=bool)
    first_ok_m = np.zeros(D, dtype=bool)
    shrunk = np.zeros(D, dtype=bool)
    # why: shrink gently first (a large step matters for high n), then fast: after 12
    # tries the step is ~3e-11 h0, enough for x within 1e-11 of a domain edge, at 2
    # evaluations per try (only where f failed).
    factors = (2.0, 2.0, 4.0, 8.0, 16.0, 16.0, 16.0, 16.0, 16.0, 16.0, 16.0)
    for attempt in range(len(factors) + 1):
        if todo.size == 0:
            break
        fp = point_fn(todo, h[todo])
        fm = point_fn(todo, -h[todo])
        okp = np.isfinite(fp).any(axis=1)
        okm = np.isfinite(fm).any(axis=1)
        if attempt == 0:
            first_ok_p[todo], first_ok_m[todo] = okp, okm
        todo = todo[~(okp & okm)]
        if todo.size and attempt < len(factors):
            h[todo] /= factors[attempt]
            shrunk[todo] = True
    for d in range(D):
        if d in set(todo.tolist()):
            continue
        if shrunk[d]:
            notes[d] = (f"f is undefined at x ± {h0[d]:.3g}; the steps start from {h[d]:.3g}, "
                        "where it is defined on both sides")
    for d in todo:
        if first_ok_p[d] and not first_ok_m[d]:
            side[d], h[d] = 1, h0[d]
            notes[d] = "f is undefined on the left of x; used a one-sided forward stencil"
        elif first_ok_m[d] and not first_ok_p[d]:
            side[d], h[d] = -1, h0[d]
            notes[d] = "f is undefined on the right of x; used a one-sided backward stencil"
        else:
            side[d] = 2  # no neighbourhood found
    return h, side, notes


class _Memo:
    """Evaluate g_d(t) once per (direction, offset) and count the evaluations."""

    def __init__(self, point_fn, D, arg_error=None, xscale=None):
        self.point_fn = point_fn
        self.cache = {}
        self.nfev = np.zeros(D, dtype=int)
        self._arg_error = arg_error
        self.xscale = np.zeros(D) if xscale is None else xscale

    def arg_error(self, idx, t):
        """How far the point really evaluated is from the nominal offset t (units of t)."""
        if self._arg_error is None:
            return np.zeros(np.shape(t))
        return self._arg_error(np.asarray(idx), np.asarray(t, dtype=float))

    def __call__(self, idx, t):
        idx = np.asarray(idx)
        t = np.asarray(t, dtype=float)
        keys = list(zip(idx.tolist(), t.tolist()))
        miss = [i for i, key in enumerate(keys) if key not in self.cache]
        if miss:
            mi = np.asarray(miss)
            vals = self.point_fn(idx[mi], t[mi])
            for r, i in enumerate(miss):
                self.cache[keys[i]] = vals[r]
                if t[i] != 0:
                    self.nfev[idx[i]] += 1
        return np.stack([self.cache[key] for key in keys]) if keys else np.zeros((0, 1))


def _run(point_fn, D, n, h0, method, tol, rtol, max_levels, who, where, arg_error=None, xscale=None):
    """Shared driver: probe the domain, then run the engine; raise when f is undefined."""
    memo = _Memo(point_fn, D, arg_error, xscale)
    f0 = memo(np.arange(D), np.zeros(D))
    side = np.zeros(D, dtype=int)
    notes = [""] * D
    if method == "forward":
        side[:] = 1
    elif method == "backward":
        side[:] = -1
    else:
        h0, side, notes = _probe_sides(memo, D, h0, side, f0)
    bad = np.nonzero(side == 2)[0]
    if bad.size:
        d = int(bad[0])
        if np.isfinite(f0[d]).all():
            msg = "f is defined at the point but not around it"
        else:
            msg = "f returns NaN (or raises) at the point and on both sides of it"
        raise DomainError(f"dfdx.numeric.{who}: {msg} ({where(d)}), so no derivative can be estimated "
                          "there. Check the point is inside f's domain, or that f does not fail "
                          "for every input (e.g. a wrong argument shape).")
    res = _directional(memo, D, n, h0, side, f0, tol=tol, rtol=rtol, max_levels=max_levels)
    bad = ~np.isfinite(res["value"]).all(axis=1)
    if bad.any():
        d = int(np.nonzero(bad)[0][0])
        raise DomainError(f"dfdx.numeric.{who}: too few points where f is defined near {where(d)} "
                          "to build a stencil; f returns NaN or raises there.")
    res["nfev"] = memo.nfev
    res["side"] = side
    res["notes"] = notes
    return res


def _method_name(side):
    names = {0: "central", 1: "forward", -1: "backward"}
    u = sorted(set(int(s) for s in np.ravel(side)))
    return "/".join(names[s] for s in u)


def _validate(f, method, who, tol, rtol):
    check_callable(f, who)
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}.")
    if tol is not None and not tol >= 0:
        raise ValueError(f"tol must be a non-negative number, got {tol!r}.")
    if rtol is not None and not rtol >= 0:
        raise ValueError(f"rtol must be a non-negative number, got {rtol!r}.")


def _complex_step(f, xa, who):
    """First derivative by the complex step: Im f(x + i h) / h, exact to rounding."""
    s = np.maximum(1.0, np.abs(xa))
    vals = []
    for h in (1e-20, 1e-10):
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # math.* casting complex to real: reported below
                y = np.asarray(f(xa + 1j * h * s))
        except TypeError as e:
            raise TypeError(f"method='complex-step' needs f to accept complex input, but f raised "
                            f"TypeError({e}). Use method='central'.") from None
        except (ValueError, ArithmeticError) as e:
            raise DomainError(f"dfdx.numeric.{who}: f failed on complex input ({e!r}); "
                              "use method='central'.") from None
        if not np.iscomplexobj(y) or y.shape != xa.shape:
            raise TypeError("method='complex-step' needs f to accept complex input and return a complex "
                            f"result of the same shape, but f returned {y.dtype} of shape {y.shape} "
                            "(math.* functions and abs() drop the imaginary part). Use method='central'.")
        vals.append(y.imag / (h * s))
    d1, d2 = vals
    with np.errstate(all="ignore"):
        err = 4 * EPS * np.abs(d1) + np.abs(d1 - d2) * 1e-20 + np.finfo(float).tiny
    if not np.all(np.isfinite(d1)):
        raise DomainError(f"dfdx.numeric.{who}: f is not defined (NaN) at x under complex input; "
                          "use method='central'.")
    return d1, err


def derivative(f, x, n=1, *, method="central", step=None, tol=None, rtol=None, max_levels=64,
               executor=None, vectorized=None, client=None, progress=None):
    """Estimate the n-th derivative of a scalar function, with an error estimate.

    Central differences on a geometric sequence of steps ``h_k = h0 / 2**k``,
    Richardson extrapolation over windows of levels, and the level with the
    smallest estimated error (truncation + rounding + measured noise), walking down
    from a step scaled with |x| until it finds f's own scale, then checked by an
    independent stencil. Near a domain edge (f
    NaN or raising on one side) it first shrinks the step, then switches to a
    one-sided stencil, and says so in ``info["notes"]``; points where f is
    undefined are never used. At a kink the central method returns the
    symmetric derivative, the mean of the one-sided slopes (0 for ``abs`` at 0);
    where the estimates diverge (a jump, an infinite slope) or no step gives
    consistent estimates, the error is inf and ``info["uncertain"]`` is True.

    Args:
        f: callable, real scalar in, real scalar out; when it is elementwise
            (vectorised) and `x` is an array, it is called on whole arrays.
        x: point (float) or array of points (elementwise derivatives).
        n: derivative order, 0..6.
        method: ``"central"`` (falls back to one-sided at domain edges),
            ``"forward"``, ``"backward"``, or ``"complex-step"`` (n = 1 only;
            f must accept complex input).
        step: first (largest) step h0; default 1/2 for |x| <= 1, |x|/2 beyond (the sweep
            walks down from it to f's own scale).
        tol: absolute error target (default 0: as accurate as rounding allows).
        rtol: relative error target (default sqrt(eps) ~ 1.5e-8, as scipy; the
            estimate is conservative, so the actual error is then typically ~1e-14
            for n = 1; lower it for more digits at a few more evaluations).
        max_levels: most step levels to try (each halves the step).
        executor: a `concurrent.futures.Executor` to evaluate points in parallel;
            the result is identical to the serial one.
        vectorized: True if f maps arrays elementwise, False to call it per point,
            None to find out.
        client: a ``dask.distributed.Client``: short for ``executor=client.get_executor()``.
        progress: True for a progress bar (tqdm) of the evaluations, False for none,
            None (default) for one once they have taken more than 3 seconds.

    Returns:
        Estimate: ``value`` and ``error`` shaped like `x`, ``nfev`` (calls of f
        per point), ``method``, and ``info`` with ``step``, ``order``,
        ``converged``, ``notes`` and ``uncertain`` (True where no step gave consistent
        estimates: then ``error`` is inf and ``info["message"]`` says why).

    Raises:
        TypeError: f is not callable, or `x` is not real.
        ValueError: n out of range, or a bad option.
        DomainError: f is undefined around x.

    Example:
        >>> import numpy as np
        >>> d = derivative(np.exp, 0.0, n=6)
        >>> bool(abs(d.value - 1) < 1e-4), bool(abs(d.value - 1) <= d.error)
        (True, True)
        >>> r = derivative(np.sqrt, 0.0)       # sqrt is undefined left of 0
        >>> r.method
        'forward'
        >>> r = derivative(lambda x: np.sin(100 * x), 1 / 3)   # f's scale is 1/100
        >>> bool(abs(r.value - 100 * np.cos(100 / 3)) <= r.error < 1e-6)
        True
    """
    _validate(f, method, "derivative", tol, rtol)
    _check_n(n)
    xa = _check_x(x, "derivative")
    tol = 0.0 if tol is None else float(tol)
    rtol = _RTOL if rtol is None else float(rtol)
    executor = executor_of(executor, client, "derivative")
    if n == 0:
        return _values(f, xa, executor, vectorized, progress)
    if method == "complex-step":
        return _complex_step_derivative(f, xa, n)
    flat = xa.reshape(-1)
    h0 = _default_step(flat) if step is None else _given_step(step, xa)
    ev = Evaluator(f, executor, vectorized, elementwise=True, progress=progress, who="derivative")
    point_fn = _point_function(ev, flat)

    def arg_error(idx, t):
        xs = flat[idx]
        return np.abs(((xs + t) - xs) - t)

    try:
        res = _run(point_fn, flat.size, n, h0, method, tol, rtol, max_levels, "derivative",
                   lambda d: f"x={flat[d]!r}", arg_error, np.abs(flat))
        if step is None:
            _resweep_tiny_points(res, flat, point_fn, arg_error, n, method, tol, rtol, max_levels)
    finally:
        ev.close()
    return _scalar_estimate(res, xa.shape)


def _values(f, xa, executor, vectorized, progress):
    """The 0th derivative: f at the points, exact."""
    ev = Evaluator(f, executor, vectorized, elementwise=True, progress=progress, who="derivative")
    v = ev(xa.reshape(-1)).reshape(xa.shape)
    ev.close()
    return Estimate(v[()] if v.ndim == 0 else v, np.zeros_like(v)[()], 1, "value", {"uncertain": False})


def _complex_step_derivative(f, xa, n):
    if n != 1:
        raise ValueError(f"method='complex-step' gives first derivatives only (n=1), got n={n}. "
                         "Use method='central'.")
    v, e = _complex_step(f, xa, "derivative")
    return Estimate(v[()], e[()], 2, "complex-step", {"step": 1e-20, "uncertain": False})


def _given_step(step, xa):
    """The user's first step, one per point, checked."""
    h0 = np.broadcast_to(np.asarray(step, dtype=float), xa.shape).reshape(-1).copy()
    if not np.all(h0 > 0):
        raise ValueError(f"step must be positive, got {step!r}.")
    return h0


def _point_function(ev, flat):
    """f at the points `flat[idx]` shifted by `t`, as a column: the sweep's view of f."""
    def point_fn(idx, t):
        y = ev(flat[idx] + t)
        if y.shape[1:] != () and y[0].size == 1:
            y = y.reshape(len(idx))
        if y.shape[1:] != ():
            raise ValueError(f"derivative needs f to return one number per point, but it returned shape "
                             f"{y.shape[1:]}. For vector outputs use dfdx.numeric.jacobian.")
        return y.reshape(len(idx), 1)
    return point_fn


def _resweep_tiny_points(res, flat, point_fn, arg_error, n, method, tol, rtol, max_levels):
    """Give the uncertain points far closer to 0 than the sweep reached a sweep of their own."""
    # why: 64 halvings from 1/2 reach ~1e-20; a point far closer to 0 (log at 1e-300) whose
    # scale is its own size gets a second sweep starting from |x|/2
    redo = np.nonzero(res["uncertain"][:, 0] & (np.abs(flat) > 0) &
                      (np.abs(flat) < 1e-3 * res["step"][:, 0]))[0]
    if not len(redo):
        return
    h1 = 2.0 ** np.round(np.log2(0.5 * np.abs(flat[redo])))
    try:
        sub = _run(lambda idx, t: point_fn(redo[idx], t), len(redo), n, h1, method, tol, rtol,
                   max_levels, "derivative", lambda d: f"x={flat[redo[d]]!r}",
                   lambda idx, t: arg_error(redo[idx], t), np.abs(flat[redo]))
    except DomainError:      # e.g. the derivative overflows float64: keep the first answer
        return
    better = ~sub["uncertain"][:, 0] & np.isfinite(sub["value"][:, 0])
    for key in ("value", "error", "step", "order", "converged", "uncertain"):
        res[key][redo[better]] = sub[key][better]
    res["nfev"][redo] += sub["nfev"]
    res["side"][redo[better]] = sub["side"][better]


def _scalar_estimate(res, shape):
    """The `Estimate` of `derivative` from the sweep's per-point arrays."""
    def out(a):
        a = a.reshape(shape)
        return a[()] if a.ndim == 0 else a

    notes = sorted(set(s for s in res["notes"] if s))
    info = {"step": out(res["step"][:, 0]), "order": out(res["order"][:, 0]),
            "converged": out(res["converged"][:, 0]), "notes": notes, "levels": res["levels"],
            "uncertain": out(res["uncertain"][:, 0])}
    if notes and res["value"].shape[0] == 1:
        info["message"] = notes[0]
    if not np.all(np.isfinite(res["error"])):
        info["message"] = ((info.get("message", "") + "; ") if "message" in info else "") + (
            "uncertain: no step gives consistent estimates (they keep growing as the step "
            "shrinks, or independent stencils disagree): the derivative may be infinite, f may "
            "not be differentiable or be too noisy here, so no finite error bar is given")
    return Estimate(out(res["value"][:, 0]), out(res["error"][:, 0]), int(res["nfev"].max()) + 1,
                    _method_name(res["side"]), info)


# -- several variables ------------------------------------------------------------------------


def _multi(f, x, n, directions, who, executor, vectorized, tol, rtol, method, step, max_levels,
           client=None, progress=None):
    """Run the engine on directional derivatives of f at x along each row of `directions`."""
    check_callable(f, who)
    if method not in ("central", "forward", "backward"):
        raise ValueError(f"{who} supports method 'central', 'forward' or 'backward', got {method!r}.")
    xa = x
    ev = Evaluator(f, executor_of(executor, client, who), vectorized, progress=progress, who=who)
    D = directions.shape[0]
    scale = _default_step(xa.reshape(-1)) if step is None else np.full(xa.size, float(step))
    # step of a direction: the smallest default step among the coordinates it moves
    dirs_flat = directions.reshape(D, -1)
    h0 = np.array([scale[np.nonzero(r)[0]].min() if np.any(r) else 0.5 for r in dirs_flat])

    def point_fn(idx, t):
        if np.all(t == 0):  # why: f(x) is shared by every direction; evaluate it once
            y = ev(xa[None]).reshape(1, -1)
            return np.repeat(y, len(idx), axis=0)
        pts = xa[None] + t.reshape((-1,) + (1,) * xa.ndim) * directions[idx]
        y = ev(pts)
        return y.reshape(len(idx), -1)

    xf = xa.reshape(-1)

    def arg_error(idx, t):
        u = dirs_flat[idx]
        step = t[:, None] * u
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.abs(((xf[None] + step) - xf[None]) - step) / np.abs(np.where(u != 0, u, np.nan))
        return np.nan_to_num(np.nanmax(np.where(u != 0, r, 0.0), axis=1), nan=0.0)

    xscale = np.array([np.abs(xf[np.nonzero(r)[0]]).max() if np.any(r) else 0.0 for r in dirs_flat])
    try:
        res = _run(point_fn, D, n, h0, method, 0.0 if tol is None else tol,
                   _RTOL if rtol is None else rtol, max_levels, who,
                   lambda d: f"x={xa.tolist()!r:.80}, direction {d}", arg_error, xscale)
    finally:
        ev.close()
    return res, ev.out_shape


def _check_vector_x(x, who):
    xa = _check_x(x, who)
    if xa.ndim == 0:
        xa = xa.reshape(1)
    return xa


def gradient(f, x, *, method="central", step=None, tol=None, rtol=None, max_levels=64,
             executor=None, vectorized=None, client=None, progress=None):
    """Estimate the gradient of a scalar function of an array, with error estimates.

    Args:
        f: callable taking an array shaped like `x` and returning a scalar.
        x: the point (array of any shape; a scalar is treated as shape (1,)).
        method, step, tol, rtol, max_levels: as for `derivative`.
        executor: a `concurrent.futures.Executor` (threads, processes, or a Dask
            ``client.get_executor()``): the points are evaluated in parallel, in a few
            batches per worker, with results identical to the serial run. For
            processes and Dask f must be picklable (cloudpickle: lambdas too).
        vectorized: True if f takes a batch of points stacked along axis 0 and
            returns one value per point (one call per step level).
        client: a ``dask.distributed.Client``: short for ``executor=client.get_executor()``.
        progress: True for a progress bar (tqdm) of the evaluations, False for none,
            None (default) for one once they have taken more than 3 seconds.

    Returns:
        Estimate with ``value`` and ``error`` shaped like `x`, ``nfev`` the total
        number of points at which f was evaluated.

    Example:
        >>> import numpy as np
        >>> g = gradient(lambda v: v[0]**2 + 3*v[1] + np.exp(v[0]*v[1]), [1.0, 2.0])
        >>> np.allclose(g.value, [2 + 2*np.exp(2), 3 + np.exp(2)])
        True
    """
    xa = _check_vector_x(x, "gradient")
    dirs = np.eye(xa.size).reshape((xa.size,) + xa.shape)
    res, out_shape = _multi(f, xa, 1, dirs, "gradient", executor, vectorized, tol, rtol, method,
                            step, max_levels, client, progress)
    if res["value"].shape[1] != 1:
        raise ValueError(f"gradient needs f to return a scalar, but it returned shape {out_shape}. "
                         "Reduce it (np.sum) or use dfdx.numeric.jacobian.")
    return Estimate(res["value"][:, 0].reshape(xa.shape), res["error"][:, 0].reshape(xa.shape),
                    int(res["nfev"].sum()) + 1, _method_name(res["side"]),
                    {"step": res["step"][:, 0].reshape(xa.shape),
                     "notes": sorted(set(s for s in res["notes"] if s)),
                     "uncertain": res["uncertain"][:, 0].reshape(xa.shape)})


def jacobian(f, x, *, method="central", step=None, tol=None, rtol=None, max_levels=64,
             executor=None, vectorized=None, client=None, progress=None, sparsity=None):
    """Estimate the Jacobian of an array function, shape ``(*out_shape, *x.shape)``.

    Args:
        f: callable taking an array shaped like `x`, returning an array (or scalar).
        x: the point.
        method, step, tol, rtol, max_levels, executor, vectorized, client, progress: as
            for `gradient`.
        sparsity: the pattern of the Jacobian, ``(f.size, x.size)`` (a scipy.sparse
            matrix or a boolean array; `dfdx.sparsity(f, x)` finds it from the code).
            The columns are coloured as for `dfdx.sparse_jacobian`: one directional
            derivative per colour instead of one per variable; value and error are
            then ``scipy.sparse`` CSR matrices of that shape. An entry outside the
            pattern must be zero: it is not estimated.

    Returns:
        Estimate with ``value`` and ``error`` of shape ``(*out_shape, *x.shape)``.

    Example:
        >>> import numpy as np
        >>> J = jacobian(lambda v: np.array([v[0] * v[1], np.sin(v[0])]), [1.0, 2.0])
        >>> np.allclose(J.value, [[2.0, 1.0], [np.cos(1.0), 0.0]])
        True
        >>> import dfdx
        >>> f = lambda v: v[1:] ** 2 - v[:-1]
        >>> J = jacobian(f, np.ones(1000), sparsity=dfdx.sparsity(f, np.ones(1000)))
        >>> J.value.shape, J.info["colours"], J.nfev < 60
        ((999, 1000), 2, True)
    """
    xa = _check_vector_x(x, "jacobian")
    if sparsity is not None:
        return _sparse_jacobian(f, xa, sparsity, method, step, tol, rtol, max_levels, executor,
                                vectorized, client, progress)
    dirs = np.eye(xa.size).reshape((xa.size,) + xa.shape)
    res, out_shape = _multi(f, xa, 1, dirs, "jacobian", executor, vectorized, tol, rtol, method,
                            step, max_levels, client, progress)
    out_shape = tuple(out_shape or ())
    v = np.moveaxis(res["value"], 0, -1).reshape(out_shape + xa.shape)
    e = np.moveaxis(res["error"], 0, -1).reshape(out_shape + xa.shape)
    return Estimate(v, e, int(res["nfev"].sum()) + 1, _method_name(res["side"]),
                    {"notes": sorted(set(s for s in res["notes"] if s)), "uncertain": ~np.isfinite(e)})


def _sparse_jacobian(f, xa, sparsity, method, step, tol, rtol, max_levels, executor, vectorized,
                     client, progress):
    """`jacobian` with a known pattern: one direction per colour of its columns."""
    import scipy.sparse as sps

    from dfdx._colouring import colour_columns

    P = sps.coo_matrix(sparsity, dtype=bool)
    if P.shape[1] != xa.size:
        raise ValueError(f"jacobian: the sparsity pattern has {P.shape[1]} columns but x has "
                         f"{xa.size} elements; find it at this x with dfdx.sparsity(f, x).")
    colour = colour_columns(P)
    k = int(colour.max()) + 1 if colour.size else 0
    dirs = np.zeros((k, xa.size))
    dirs[colour, np.arange(xa.size)] = 1.0
    res, out_shape = _multi(f, xa, 1, dirs.reshape((k,) + xa.shape), "jacobian", executor,
                            vectorized, tol, rtol, method, step, max_levels, client, progress)
    m = int(np.prod(out_shape or ()))
    if m != P.shape[0]:
        raise ValueError(f"jacobian: the sparsity pattern has {P.shape[0]} rows but f returns "
                         f"{m} values; find it with dfdx.sparsity(f, x).")
    rows, cols = P.row, P.col

    def read(a):
        return sps.csr_matrix((a[colour[cols], rows], (rows, cols)), shape=P.shape)

    e = read(res["error"])
    uncertain = read(~np.isfinite(res["error"]))
    uncertain.eliminate_zeros()
    return Estimate(read(res["value"]), e, int(res["nfev"].sum()) + 1, _method_name(res["side"]),
                    {"notes": sorted(set(s for s in res["notes"] if s)), "colours": k,
                     "uncertain": uncertain})


def hessian(f, x, *, step=None, tol=None, rtol=None, max_levels=64, executor=None, vectorized=None,
            client=None, progress=None):
    """Estimate the Hessian of a scalar function (symmetric, with mixed partials).

    Diagonal entries are second derivatives along each axis; a mixed partial
    comes from the second derivative along ``e_i + e_j``:
    ``H_ij = (D2(e_i + e_j) - H_ii - H_jj) / 2``, so H is symmetric by construction
    and its error estimate adds the three errors.

    Args:
        f: callable taking an array shaped like `x`, returning a scalar.
        x: the point (array, any shape).
        step, tol, rtol, max_levels, executor, vectorized, client, progress: as for
            `gradient`.

    Returns:
        Estimate with ``value`` and ``error`` of shape ``(*x.shape, *x.shape)``.

    Example:
        >>> import numpy as np
        >>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
        >>> H = hessian(lambda v: 0.5 * v @ A @ v, [0.3, -0.2])
        >>> np.allclose(H.value, A)
        True
    """
    xa = _check_vector_x(x, "hessian")
    m = xa.size
    eye = np.eye(m)
    pairs = [(i, j) for i in range(m) for j in range(i + 1, m)]
    dirs = np.concatenate([eye] + ([np.array([eye[i] + eye[j] for i, j in pairs])] if pairs else []))
    res, out_shape = _multi(f, xa, 2, dirs.reshape((-1,) + xa.shape), "hessian", executor, vectorized,
                            tol, rtol, "central", step, max_levels, client, progress)
    if res["value"].shape[1] != 1:
        raise ValueError(f"hessian needs f to return a scalar, but it returned shape {out_shape}.")
    dv, de = res["value"][:, 0], res["error"][:, 0]
    H = np.diag(dv[:m]).astype(float)
    E = np.diag(de[:m]).astype(float)
    for k, (i, j) in enumerate(pairs):
        H[i, j] = H[j, i] = 0.5 * (dv[m + k] - dv[i] - dv[j])
        E[i, j] = E[j, i] = 0.5 * (de[m + k] + de[i] + de[j])
    return Estimate(H.reshape(xa.shape * 2), E.reshape(xa.shape * 2), int(res["nfev"].sum()) + 1,
                    _method_name(res["side"]), {"notes": sorted(set(s for s in res["notes"] if s)),
                                                "uncertain": ~np.isfinite(E.reshape(xa.shape * 2))})


def hvp(f, x, v, *, step=None, tol=None, rtol=None, max_levels=64, executor=None, vectorized=None,
        client=None, progress=None):
    """Estimate the Hessian-vector product ``H(x) @ v`` without forming H.

    Uses ``(H v)_i = (D2(e_i + v) - D2(e_i) - D2(v)) / 2`` with second directional
    derivatives ``D2(u) = u^T H u``: 2 m + 1 directions instead of m (m + 1) / 2.

    Args:
        f: callable taking an array shaped like `x`, returning a scalar.
        x: the point.
        v: the vector, same shape as `x`.
        step, tol, rtol, max_levels, executor, vectorized, client, progress: as for
            `gradient`.

    Returns:
        Estimate with ``value`` and ``error`` shaped like `x`.

    Example:
        >>> import numpy as np
        >>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
        >>> r = hvp(lambda w: 0.5 * w @ A @ w, [0.3, -0.2], [1.0, 2.0])
        >>> np.allclose(r.value, A @ [1.0, 2.0])
        True
    """
    xa = _check_vector_x(x, "hvp")
    va = np.asarray(v, dtype=float)
    if va.shape != xa.shape and va.size == xa.size:
        va = va.reshape(xa.shape)
    if va.shape != xa.shape:
        raise ValueError(f"hvp needs v shaped like x {xa.shape}, got {va.shape}.")
    m = xa.size
    eye = np.eye(m).reshape((m,) + xa.shape)
    dirs = np.concatenate([va[None], eye, eye + va[None]])
    res, out_shape = _multi(f, xa, 2, dirs, "hvp", executor, vectorized, tol, rtol, "central", step,
                            max_levels, client, progress)
    dv, de = res["value"][:, 0], res["error"][:, 0]
    hv = 0.5 * (dv[1 + m:] - dv[1:1 + m] - dv[0])
    he = 0.5 * (de[1 + m:] + de[1:1 + m] + de[0])
    return Estimate(hv.reshape(xa.shape), he.reshape(xa.shape), int(res["nfev"].sum()) + 1,
                    _method_name(res["side"]), {"uncertain": ~np.isfinite(he.reshape(xa.shape))})
