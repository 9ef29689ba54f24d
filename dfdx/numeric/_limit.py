"""Numeric limits and continuity of black-box scalar functions, with verdicts.

A one-sided limit is read off the sequence ``s_k = f(a ± δ0 2**-k)`` (or
``f(±2**k)`` at infinity), plus a few far points (δ down to 1e-300, x up to
1e300). The verdict, in this order:

0. *trust*: each sample's rounding is measured — f in long double (where f
   takes it, as plain NumPy code does) shows the digits float64 lost to
   cancellation and the values only float64 overflowed; f 4 ulps to either side
   shows noise even where float64 returns an exact, wrong 0. The first sample
   whose rounding exceeds 1e-8 (times max(1, |f|)), that overflowed, or that is
   an exact 0 right after a sizeable value, ends the usable sequence (closer to
   the point cancellation only gets worse); the reason goes into the message.
1. *undefined*: f is NaN, ±inf or raises at every sample on this side (the
   edge of its domain). NaN that appears only close to the point (0/0 from
   underflow or cancellation) is not the domain edge: only the values before
   it are used.
2. *converged*: the first level where some Richardson extrapolant (in powers
   of δ or 1/x, the raw sequence included) is consistent over three successive
   levels to 1e-7, provided the values before it were approaching it; the
   error is the largest of those differences (scaled by rho / (1 - rho) for the
   raw sequence, rho the observed convergence ratio) and the measured rounding,
   times 3; the next samples must stay that close (the trend has settled). A
   sequence cut short by rounding may instead be extrapolated by polynomials
   when three orders agree to 1e-7, the noise amplification included.
3. *infinite*: a steady blow-up of one sign (>= 12 levels growing >= 1.2x each,
   confirmed by the far points, or the whole last half growing monotonically
   without settling); never on a sequence cut short.
4. *logarithmic*: slow monotone convergence (like 1/log x): polynomial
   extrapolation in 1/k (Neville) over the near and far points, checked
   against Levin's u-transform; trusted to 1e-3, otherwise *uncertain*.
5. *oscillating*: the values keep changing direction with an amplitude that
   does not shrink.
6. otherwise *uncertain* (``exists=None``): never a confident wrong number.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from dfdx._errors import DomainError
from dfdx.numeric._evaluate import UNDEFINED, call_scalar, check_callable
from dfdx.numeric._extrapolate import EPS, levin_u
from dfdx.result import ContinuityResult, LimitResult, limit_verdict

__all__ = ["limit", "continuity"]

_CONVERGED_RTOL = 1e-7   # consistency needed to call a limit converged
_LOG_RTOL = 1e-3         # consistency needed for logarithmic convergence
# a sample whose measured rounding exceeds this (times max(1, |f|)) ends the usable sequence
_NOISE_REL = 1e-8


def _eval_many(f, xs: np.ndarray) -> np.ndarray:
    """f at each point, keeping ±inf (it matters for limits), NaN where undefined."""
    try:
        with np.errstate(all="ignore"):
            y = np.asarray(f(xs.copy()))
        if y.shape == xs.shape and np.issubdtype(y.dtype, np.number) and not np.iscomplexobj(y):
            y = y.astype(float)
            # why: a function written for scalars may broadcast "wrongly" but still
            # return the right shape; spot-check three entries against scalar calls.
            ok = True
            for i in (0, len(xs) // 2, len(xs) - 1):
                ys = call_scalar(f, xs[i], keep_inf=True)
                if not (ys == y[i] or (math.isnan(ys) and math.isnan(y[i]))):
                    ok = False
                    break
            if ok:
                return y
    except Exception:  # noqa: BLE001 - any failure means "call it point by point"
        pass
    return np.array([call_scalar(f, float(v), keep_inf=True) for v in xs])


def _points(at: float, side: int):
    """Sample points approaching `at` from `side` (main geometric sequence, far points)."""
    if math.isinf(at):
        sgn = 1.0 if at > 0 else -1.0
        main = sgn * 2.0 ** np.arange(0, 64)
        far = sgn * np.array([1e22, 1e30, 1e45, 1e60, 1e100, 1e150, 1e200, 1e300])
        t_main = 1.0 / np.abs(main)
        return main, far, t_main
    scale = max(1.0, abs(at))
    d0 = 2.0 ** math.floor(math.log2(0.25 * scale))
    if at == 0:
        kmax = 64
    else:
        # why: below |a| * 2**-30 the point a ± δ keeps too few digits of δ to be useful.
        kmax = int(math.floor(math.log2(d0 / (abs(at) * 2.0 ** -30)))) + 1
    deltas = d0 * 2.0 ** -np.arange(kmax)
    main = at + side * deltas
    if at == 0:
        far = side * np.array([1e-25, 1e-35, 1e-50, 1e-70, 1e-100, 1e-150, 1e-200, 1e-300])
    else:
        far = np.array([])
    return main, far, deltas


class _Side:
    """The verdict for one side: kind in {undefined, infinite, converged, oscillating, uncertain}."""

    def __init__(self, kind, value=None, error=math.nan, message="", reason=None):
        self.kind = kind
        self.value = value
        self.error = error
        self.message = message
        # why uncertain: rounding / overflow (samples cut short), slow, nan, unsettled, internal
        self.reason = reason


def _converged_candidate(s: np.ndarray, tol_rel: float, noise: np.ndarray | None = None):
    """First extrapolant (largest steps) that is consistent to `tol_rel`; (value, error) or None.

    Columns of the Richardson table eliminate t, t**2, ... (t halves each level);
    column 0 is the raw sequence. An entry's error is the largest of its three last
    differences within its column and its gap to the previous column at the same
    level (the classic Richardson error estimate); for the raw sequence the
    differences are scaled by rho / (1 - rho), rho the observed ratio of successive
    differences, to bound the rest of a slowly converging tail.

    why the *first* consistent level and not the smallest error: small steps eventually
    hit cancellation ((exp(x) - 1)/x is exactly 0 for x < 1e-17), and those noisy values can
    look perfectly converged to a wrong number.
    """
    n = s.size
    cols = _richardson_columns(s)
    err = _table_errors(cols, noise)
    best_per_level = err.min(axis=0)
    ok = np.nonzero(best_per_level <= tol_rel * np.maximum(1.0, np.abs(s)))[0]
    if ok.size == 0:
        return None
    j0 = int(ok[0])
    if _ran_away(s, cols, err, j0):
        return None
    # keep improving a little past the first consistent level, while still far from noise
    window = range(j0, min(n, j0 + 6))
    lvl = min(window, key=lambda j: best_per_level[j])
    c = int(np.argmin(err[:, lvl]))
    col = cols[c]
    v = col[lvl - (n - col.size)]
    if not _settled(s, v, lvl, 3.0 * float(err[c, lvl])):
        return None
    # why: the level was picked for its small error, which biases that error low;
    # a factor of 3 restores coverage on the textbook suite (cancellation-prone cases).
    return float(v), 3.0 * float(err[c, lvl])


def _richardson_columns(s):
    """The Richardson table's columns: column p eliminates t**p (t halving each level)."""
    cols = [s]
    for p in range(1, 7):
        prev = cols[-1]
        if prev.size < 4:
            break
        f = 2.0 ** p
        with np.errstate(all="ignore"):
            cols.append((f * prev[1:] - prev[:-1]) / (f - 1))
    return cols


def _table_errors(cols, noise):
    """Each table entry's error estimate, indexed (column, end level); inf where there is none."""
    n = cols[0].size
    err = np.full((len(cols), n), np.inf)
    for c_i, col in enumerate(cols):
        off = n - col.size  # col[j] ends at level j + off
        with np.errstate(all="ignore"):
            d = np.abs(np.diff(col))
        for j in range(2, d.size):
            trip = d[j - 2:j + 1]
            v = col[j + 1]
            if not (np.all(np.isfinite(trip)) and np.isfinite(v)):
                continue
            if c_i == 0:
                e = _tail_bound(trip)
            else:
                prev_col = cols[c_i - 1]
                gap = abs(v - prev_col[j + 1 + 1])  # same end level in the previous column
                e = max(trip.max(), gap)
            rnd = 8 * EPS * abs(v) * 2.0 ** (c_i + 1)
            if noise is not None:
                # the measured rounding of the samples this entry combines, amplified
                lo = max(0, j + off - 2 - c_i)
                rnd = max(rnd, float(np.max(noise[lo:j + 2 + off])) * 2.0 ** (c_i + 1))
            err[c_i, j + 1 + off] = max(e, rnd)
    return err


def _tail_bound(trip):
    """The rest of a raw sequence's tail from its last three differences: d rho / (1 - rho)."""
    if trip[0] > 0 and trip[1] > 0 and trip[2] > 0:
        rho = min(max(trip[2] / trip[1], trip[1] / trip[0], 0.5), 0.99)
    else:
        rho = 0.5
    return trip.max() * rho / (1 - rho)


def _ran_away(s, cols, err, j0):
    """Whether the raw values ran away from the value found at level `j0` before it."""
    # why: the raw values must have been approaching the value found, not running away
    # from it; a sequence that blows up and then collapses into rounding noise
    # ((1 - cos x)/x**4 is exactly 0 for x < 1e-8) is consistent only in the noise.
    c0 = int(np.argmin(err[:, j0]))
    v0 = cols[c0][j0 - (s.size - cols[c0].size)]
    before = np.abs(s[max(0, j0 - 8):max(0, j0 - 2)] - v0)
    return bool(before.size >= 4 and np.max(before[-2:]) > 2 * np.max(before[:2]) + 1e-300)


def _settled(s, v, lvl, e_here):
    """Whether the samples after level `lvl` stay as close to `v` as those around it."""
    # why: the trend must have settled: the next samples closer to the point stay as close to
    # the value as the samples around the chosen level were (relative to their own size
    # when the value is 0): exp(x)/x**100 at oo is within 1e-7 of 0 for x < 512 and then
    # grows by 80 orders of magnitude.
    ref = float(np.max(np.abs(s[max(0, lvl - 3):lvl + 1] - v)))
    later = np.abs(s[lvl + 1:lvl + 7] - v)
    return not (later.size and np.any(later > 2 * ref + e_here + 1e-300))


def _sample_noise(f, xs: np.ndarray, ys: np.ndarray):
    """How much of each sample is rounding, and where float64 over/underflow cut it off.

    Two measurements, each cheap: f evaluated in long double (where f accepts it: plain
    NumPy code does) shows the digits float64 lost to cancellation and the values that
    overflowed in float64 only; f at the points 4 ulps to either side (a second
    difference, so the true change of f cancels) shows rounding noise even where the
    float64 value is an exact, and wrong, 0 ((cos x - 1 + x**2/2) / x**4 for x < 1e-4).

    Returns:
        ``(noise, overflow, nfev)``: noise (absolute, per sample; 0 where unmeasured),
        overflow (True where float64 gave ±inf / NaN but long double a finite value).
    """
    noise = np.zeros(xs.size)
    overflow = np.zeros(xs.size, dtype=bool)
    nfev = 0
    if np.finfo(np.longdouble).eps < EPS:
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yl = np.asarray(f(xs.astype(np.longdouble)))
            nfev += xs.size
            if yl.shape != xs.shape or yl.dtype != np.longdouble:
                yl = None
        except Exception:  # noqa: BLE001 - f takes float64 only (math.*): no second opinion
            yl = None
        if yl is not None:
            with np.errstate(all="ignore"):
                dl = np.abs(ys.astype(np.longdouble) - yl).astype(float)
                fin_l = np.isfinite(yl) & (np.abs(yl) < np.finfo(float).max)
            both = np.isfinite(ys) & fin_l
            noise = np.where(both, np.where(np.isfinite(dl), dl, np.inf), noise)
            overflow = ~np.isfinite(ys) & fin_l
    u = 4 * np.spacing(np.abs(xs))
    yp = _eval_many(f, xs + u)
    ym = _eval_many(f, xs - u)
    nfev += 2 * xs.size
    with np.errstate(all="ignore"):
        # why: the smallest of the three: a second difference cancels f's true change; a
        # jump exactly at the sample (floor at an integer) leaves one side unchanged
        sd = np.fmin(np.abs(yp + ym - 2 * ys), np.fmin(np.abs(yp - ys), np.abs(ym - ys)))
    noise = np.fmax(noise, np.where(np.isfinite(sd) & np.isfinite(ys), sd, 0.0))
    return noise, overflow, nfev


def _one_side(f, at: float, side: int) -> tuple[_Side, int]:
    try:
        return _one_side_checked(f, at, side)
    except (IndexError, KeyError, ZeroDivisionError, FloatingPointError, np.linalg.LinAlgError) as exc:
        # why: an internal failure must not reach the user as an IndexError; it is a verdict
        # the samples could not support
        where = "way to infinity" if math.isinf(at) else f"{'right' if side > 0 else 'left'} of x={at!r}"
        return _Side("uncertain", None, math.nan,
                     f"the samples on the {where} could not be analysed ({type(exc).__name__}: {exc})",
                     "internal"), 0


def _one_side_checked(f, at: float, side: int) -> tuple[_Side, int]:
    main, far, t = _points(at, side)
    xs = np.concatenate([main, far])
    ys = _eval_many(f, xs)
    noise_all, overflow_all, nf = _sample_noise(f, xs, ys)
    nfev = xs.size + nf
    where = ("way to infinity" if math.isinf(at) else
             f"{'right' if side > 0 else 'left'} of x={at!r}")
    if not np.any(np.isfinite(ys[:main.size])) and not np.any(overflow_all[:main.size]):
        return _Side("undefined", message=f"f is undefined (NaN, ±inf or raising) on the {where}"), nfev
    kf = np.log2(np.abs(t[0] / (1.0 / np.abs(far) if math.isinf(at) else np.abs(far - at)))) if far.size \
        else np.array([])
    smp = _usable_samples(main, ys, kf, noise_all, overflow_all)
    if smp.cut is not None and (smp.s.size == 0 or not np.any(np.isfinite(smp.s))):
        return _Side("uncertain", None, math.nan, _cut_message(smp.cut, where, "anywhere"), smp.cut[1]), nfev
    return _classify_side(smp, where), nfev


class _Samples:
    """The samples of one side that can be trusted, closest to the point last.

    ``s``/``noise``: the main sequence (one per step level) and its measured noise;
    ``sf``/``kf``: the far points (δ down to 1e-300, or x up to 1e300) and their levels;
    ``cut``: ``(k, "overflow" | "rounding", x)`` where rounding or overflow ended the
    usable sequence, or None; ``breakdown``: the last x before f turned NaN close to
    the point, or None.
    """

    def __init__(self, s, noise, sf, kf, cut, breakdown):
        self.s, self.noise, self.sf, self.kf, self.cut, self.breakdown = s, noise, sf, kf, cut, breakdown


def _usable_samples(main, ys, kf, noise_all, overflow_all) -> _Samples:
    """Cut the samples of one side to those that rounding, overflow and NaN leave usable."""
    s, sf = ys[:main.size], ys[main.size:]
    # why: closer to the point, cancellation only gets worse, so the first sample dominated
    # by rounding (or cut off by overflow) ends the usable sequence; everything after it,
    # and the far points, would be read as a limit that is only rounding.
    noise_m, over_m = noise_all[:main.size], overflow_all[:main.size]
    with np.errstate(invalid="ignore"):
        noisy = np.isfinite(s) & (noise_m > _NOISE_REL * np.maximum(1.0, np.abs(s)))
    # why: an exact 0 right after a sample of size > 1e-6 is a total cancellation (1 - cos x
    # is exactly 0 for x < 1e-8), even where no perturbation shows it
    zero_after = np.zeros(s.size, dtype=bool)
    with np.errstate(invalid="ignore"):
        zero_after[1:] = (s[1:] == 0) & np.isfinite(s[:-1]) & (np.abs(s[:-1]) > 1e-6)
    bad = noisy | over_m | zero_after
    # samples far from the point that are noisy (x = 1 in x**(1/log x), a 0 * inf there)
    # are dropped like a stretch where f is undefined; the cut is the first bad sample after
    good = np.nonzero(~bad & np.isfinite(s))[0]
    lead = int(good[0]) if good.size else 0
    if lead:
        s = np.where(np.arange(s.size) < lead, np.nan, s)
        bad[:lead] = False
    cut = None
    if bad.any():
        k = int(np.argmax(bad))
        cut = (k, "overflow" if over_m[k] else "rounding", float(main[k]))
        s, noise_m, sf, kf = s[:k], noise_m[:k], sf[:0], kf[:0]
        if s.size == 0 or not np.any(np.isfinite(s)):
            return _Samples(s, noise_m, sf, kf, cut, None)
    else:
        with np.errstate(invalid="ignore"):
            okf = ~(noise_all[main.size:] > _NOISE_REL * np.maximum(1.0, np.abs(sf))) & \
                ~overflow_all[main.size:]
        if not okf.all():
            first = int(np.argmax(~okf))
            sf, kf = sf[:first], kf[:first]
    # keep the stretch where f is defined, closest to the point
    defined = ~np.isnan(s)
    breakdown = None
    if not defined[-1]:
        # why: NaN close to the point after finite values further away is usually 0/0 from
        # underflow or cancellation (exp(-1/x**2)/(1 - cos x)), not the edge of the domain;
        # only the values before the breakdown can be used, and far points are unusable.
        last_ok = int(np.nonzero(defined)[0][-1])
        breakdown = float(main[last_ok])
        s, noise_m, sf, kf = s[:last_ok + 1], noise_m[:last_ok + 1], sf[:0], kf[:0]
    gaps = np.nonzero(np.isnan(s))[0]
    if gaps.size:
        s, noise_m = s[gaps[-1] + 1:], noise_m[gaps[-1] + 1:]
    return _Samples(s, noise_m, sf, kf, cut, breakdown)


def _classify_side(smp: _Samples, where: str) -> _Side:
    """What the usable samples of one side show: converged, infinite, oscillating or uncertain."""
    s, sf, kf, cut, breakdown = smp.s, smp.sf, smp.kf, smp.cut, smp.breakdown
    allv = np.concatenate([s, sf[~np.isnan(sf)]])
    # -- converged ---------------------------------------------------------------------------
    fin = np.isfinite(s)
    cand = None
    sfin = s[:0]
    if fin.any():
        last = int(np.nonzero(fin)[0][-1]) + 1
        first = int(np.argmax(np.isfinite(s[:last])))
        sfin = s[first:last]
        nfin = smp.noise[first:last]
        if sfin.size >= 5 and np.all(np.isfinite(sfin)):
            cand = _converged_candidate(sfin, _CONVERGED_RTOL, nfin)
            if cand is None and cut is not None and cut[1] == "rounding":
                cand = _short_extrapolation(sfin, nfin)
    if cand is not None:
        v, err = _refine_with_far(*cand, sf)
        msg = f"converged on the {where}"
        if cut is not None:
            msg += f" (from the samples before x={cut[2]!r}; closer ones are {cut[1]}-dominated)"
        return _Side("converged", v, err, msg)
    # -- infinite ----------------------------------------------------------------------------
    run = _growth_run(s)
    if run is not None and _far_confirms_growth(s, sf):
        return _Side("infinite", run * math.inf, 0.0, f"f grows without bound on the {where}")
    # why: look at the whole last half, so that a blow-up created by rounding at the very
    # end (x*log|x| / (sqrt(1 + x) - 1) is ±inf once sqrt(1 + x) == 1) cannot pass alone.
    tail = allv[-max(12, s.size // 2 + sf.size):]
    if cut is None and tail.size >= 6 and (np.all(tail > 0) or np.all(tail < 0)):
        a = np.abs(tail)
        mono = np.all(a[1:] >= a[:-1] * (1 - 1e-12))
        if mono and (np.isinf(a[-1]) or a[-1] > 1e12 * max(1.0, a[0]) or
                     (a[-1] > 8 * a[0] and _not_decaying(a))):
            sign = 1.0 if tail[-1] > 0 else -1.0
            return _Side("infinite", sign * math.inf, 0.0, f"f grows without bound on the {where}")
    # -- logarithmic -------------------------------------------------------------------------
    res = _logarithmic(sfin, sf, kf) if (breakdown is None and cut is None) else None
    if res is not None:
        v, err, ok = res
        if ok:
            return _Side("converged", v, err, f"converged slowly (logarithmically) on the {where}")
        return _Side("uncertain", v, err, f"slow convergence on the {where}: the value is about {v:.6g} "
                     f"but the sequence does not settle (error ~{err:.2g})", "slow")
    # -- oscillating -------------------------------------------------------------------------
    if _oscillates(allv):
        return _Side("oscillating", None, math.nan, f"f oscillates without settling on the {where}")
    if cut is not None:
        return _Side("uncertain", None, math.nan, _cut_message(cut, where, "before its values settle"),
                     cut[1])
    if breakdown is not None:
        return _Side("uncertain", None, math.nan,
                     f"f returns NaN (0/0, overflow or underflow) on the {where} closer than "
                     f"x={breakdown!r}, before its values settle", "nan")
    return _Side("uncertain", None, math.nan,
                 f"the values on the {where} neither settle nor clearly diverge or oscillate", "unsettled")


def _far_confirms_growth(s: np.ndarray, sf: np.ndarray) -> bool:
    """The far points (x up to 1e300, or δ down to 1e-300) keep growing in size, or are absent.

    why: log(x)**100 / x grows for every x < 2**64 and only turns near x = e**100.
    """
    fin = s[np.isfinite(s)]
    if sf.size == 0 or fin.size == 0:
        return True
    seq = np.abs(np.concatenate([fin[-1:], sf]))
    seq = seq[~np.isnan(seq)]
    return bool(np.all(seq[1:] >= seq[:-1]))


def _cut_message(cut, where, tail):
    k, why, x = cut
    if why == "overflow":
        return (f"float64 overflows or underflows in f on the {where} from x={x!r} on (in long "
                f"double it does not), so the samples stop there, {tail}")
    return (f"the samples on the {where} are dominated by rounding from x={x!r} on (f loses "
            f"its digits to cancellation there), {tail}")


def _short_extrapolation(s: np.ndarray, noise: np.ndarray):
    """Extrapolate a short sequence (cut short by rounding) to t = 0 by polynomials (Neville).

    Accepted only when the last three orders agree to 1e-7 and the noise, amplified by the
    extrapolation, stays below that too; (value, 3 x error) or None.
    """
    m = min(s.size, 8)
    y = s[-m:]
    u = 2.0 ** -np.arange(s.size)[-m:]
    diag = _neville0(u, y)
    if len(diag) < 4:
        return None
    v = diag[-1]
    err = max(abs(diag[-1] - diag[-2]), abs(diag[-2] - diag[-3]))
    # the extrapolated value is sum_i l_i(0) y_i (Lagrange basis at 0): each sample's
    # measured noise enters with weight |l_i(0)|
    lag = np.array([np.prod([u[j] / (u[j] - u[i]) for j in range(m) if j != i]) for i in range(m)])
    err = err + float(np.abs(lag) @ (noise[-m:] + 8 * EPS * np.abs(y)))
    if not (np.isfinite(v) and err <= _CONVERGED_RTOL * max(1.0, abs(v))):
        return None
    return float(v), 3.0 * float(err)


def _refine_with_far(v: float, err: float, sf: np.ndarray):
    """Sharpen a converged value with the far points when they continue its trend.

    The far points (δ down to 1e-300) are only trusted when all of them are finite,
    lie inside the error band of the value and move monotonically; then the last one
    is closer to the limit than anything extrapolated from moderate steps (sqrt(x)
    at 0+ gives 1e-150 instead of 1e-8). Cancellation noise fails these tests.
    """
    if sf.size < 3 or not np.all(np.isfinite(sf)) or err == 0:
        return v, err
    inside = np.all(np.abs(sf - v) <= err)
    d = np.diff(sf)
    mono = np.all(d >= 0) or np.all(d <= 0)
    shrinking = np.all(np.abs(d[1:]) <= np.abs(d[:-1]) + 1e-300)
    if inside and mono and shrinking:
        new_err = max(2 * abs(d[-1]), 8 * EPS * abs(sf[-1]))
        if new_err < err:
            return float(sf[-1]), float(new_err)
    return v, err


def _growth_run(s: np.ndarray):
    """Sign (±1) of a steady blow-up: >= 12 levels of one sign, |s| growing >= 1.2x per level
    to 1e6 times its start; None when there is no such run."""
    a = np.abs(s)
    with np.errstate(all="ignore"):
        grow = (a[1:] >= 1.2 * a[:-1]) & (np.sign(s[1:]) == np.sign(s[:-1])) & np.isfinite(a[1:]) & (s[1:] != 0)
    start = 0
    for i in range(grow.size + 1):
        if i == grow.size or not grow[i]:
            if i - start >= 12 and a[i] >= 1e6 * max(1.0, a[start]):
                return 1.0 if s[i] > 0 else -1.0
            start = i + 1
    return None


def _not_decaying(a: np.ndarray) -> bool:
    """Growth whose increments do not fade (log-like divergence), seen on |values|."""
    d = np.diff(a)
    if d.size < 4 or not np.all(np.isfinite(d)):
        return bool(np.isinf(a[-1]))
    h = d.size // 2
    return bool(np.all(d > 0) and np.mean(d[h:]) >= 0.5 * np.mean(d[:h]))


def _neville0(u: np.ndarray, y: np.ndarray):
    """Polynomial extrapolation of y(u) to u = 0 (Neville); returns the diagonal."""
    p = list(y.astype(float))
    diag = [p[-1]]
    m = len(u)
    for order in range(1, m):
        for i in range(m - 1, order - 1, -1):
            p[i] = (u[i] * p[i - 1] - u[i - order] * p[i]) / (u[i] - u[i - order])
        diag.append(p[m - 1])
    return diag


def _logarithmic(s: np.ndarray, sf: np.ndarray, kf: np.ndarray):
    """Extrapolate slow monotone convergence in u = 1/k (k = levels from the start).

    Returns (value, error, trusted) or None when the sequence is not slow and monotone.
    """
    n = s.size
    if n < 32 or not np.all(np.isfinite(s[-24:])):
        return None
    d = np.diff(s[n // 2:])
    if not (np.all(d > 0) or np.all(d < 0)):
        return None
    ratio = abs(d[-1] / d[0]) if d[0] != 0 else 0.0
    if ratio < 0.02:  # fast convergence: not logarithmic
        return None
    ks = np.array([n // 4, n // 3, n // 2, (3 * n) // 4, n - 1], dtype=float)
    ys = np.array([s[int(k)] for k in ks])
    good = np.isfinite(sf)
    ks = np.concatenate([ks, kf[good]])
    ys = np.concatenate([ys, sf[good]])
    u = 1.0 / (ks + 1.0)
    diag = _neville0(u[-6:], ys[-6:])
    v = diag[-1]
    err = max(abs(diag[-1] - diag[-2]), abs(diag[-2] - diag[-3])) if len(diag) >= 3 else math.inf
    # why: a tail that is not a series in 1/k (log(log x)/log x) extrapolates differently
    # from the near and the far points; that disagreement is part of the error.
    if ks.size > 6:
        v_near = _neville0(u[:5], ys[:5])[-1]
        err = max(err, abs(v - v_near))
    # a second, independent opinion: Levin's u-transform on the last equally spaced terms
    lv, lerr = levin_u(s[-12:])
    if np.isfinite(lv):
        err = max(err, abs(v - lv), lerr)
    trusted = bool(np.isfinite(v) and err <= _LOG_RTOL * max(1.0, abs(v)))
    return float(v), float(err), trusted


def _oscillates(v: np.ndarray) -> bool:
    v = v[np.isfinite(v)]
    if v.size < 8:
        return False
    tail = v[-max(8, v.size // 2):]
    d = np.diff(tail)
    changes = np.sum(np.sign(d[1:]) * np.sign(d[:-1]) < 0)
    amp_late = np.ptp(tail[len(tail) // 2:])
    amp_early = np.ptp(tail[:len(tail) // 2])
    scale = max(1.0, float(np.median(np.abs(tail))))
    return bool(changes >= 0.25 * d.size and amp_late > 1e-3 * scale and amp_late > 0.1 * amp_early)


def _parse_at(at):
    if isinstance(at, str):
        key = at.strip().lower().replace(" ", "")
        table = {"oo": math.inf, "+oo": math.inf, "inf": math.inf, "+inf": math.inf, "-oo": -math.inf,
                 "-inf": -math.inf, "pi": math.pi, "e": math.e}
        if key in table:
            return table[key]
        try:
            return float(key)
        except ValueError:
            raise ValueError(f"dfdx.numeric.limit takes a number for `at`, got {at!r}; for symbolic "
                             "points like 'pi/2' use dfdx.limit (exact first).") from None
    try:
        a = float(at)
    except (TypeError, ValueError):
        raise TypeError(f"`at` must be a real number or ±inf, got {type(at).__name__} {at!r:.60}.") from None
    if math.isnan(a):
        raise ValueError("`at` is NaN; pass a real number or ±inf.")
    return a


def _snap(v, err):
    """Return an integer (or 0) when v is one within its error: 0.9999999999999998 -> 1.0."""
    if v is None or not math.isfinite(v):
        return v
    r = round(v)
    if abs(v - r) <= max(err, 4 * EPS * abs(v)) and abs(v - r) < 1e-9:
        return float(r)
    return v


def limit(f, at, dir="+-"):
    """Estimate the limit of a scalar function at a point or at ±inf, with a verdict.

    Args:
        f: callable, one real number in, one real number out (plain NumPy or
            ``math``; raising ValueError/ZeroDivisionError/OverflowError counts as
            "undefined there").
        at: a real number, ``float("inf")`` / ``-float("inf")`` (or ``"oo"``,
            ``"-oo"``).
        dir: ``"+-"`` (two-sided), ``"+"`` (from above) or ``"-"`` (from below);
            ignored at ±inf.

    Returns:
        LimitResult: ``value`` (float, ±inf, or None), ``exists`` (True, False, or
        None when uncertain), ``left``/``right``, ``error``, ``message``, ``nfev``
        and ``info["kind"]`` (converged / infinite / jump / oscillating /
        uncertain); when uncertain, ``info["reason"]`` says why: ``"rounding"`` (the
        samples are dominated by cancellation before they settle), ``"overflow"``
        (float64 over/underflow cuts them short), ``"slow"``, ``"nan"``,
        ``"unsettled"``.

    Raises:
        TypeError: f is not callable or `at` is not a number.
        ValueError: `dir` is not one of "+-", "+", "-".
        DomainError: f is undefined on both sides of `at` (no neighbourhood).

    Example:
        >>> import numpy as np
        >>> limit(lambda x: np.sin(x) / x, 0).value
        1.0
        >>> r = limit(lambda x: 1 / x, 0)
        >>> r.exists, r.left, r.right
        (False, -inf, inf)
        >>> limit(lambda x: (1 + 1/x)**x, float("inf")).value   # e
        2.718281828...
        >>> limit(np.sin, float("inf")).exists
        False
    """
    check_callable(f, "limit")
    if dir not in ("+-", "+", "-"):
        raise ValueError(f"dir must be '+-' (two-sided), '+' (from above) or '-' (from below), got {dir!r}.")
    a = _parse_at(at)
    if math.isinf(a):
        return _limit_at_infinity(f, a)
    sides, nfev = _sides_near(f, a, dir)
    if dir == "+":
        return _result_from_sides(None, sides["+"], a, nfev, one=sides["+"], which="+")
    if dir == "-":
        return _result_from_sides(sides["-"], None, a, nfev, one=sides["-"], which="-")
    return _result_from_sides(sides["-"], sides["+"], a, nfev)


def _limit_at_infinity(f, a):
    side, nfev = _one_side(f, a, 1)
    if side.kind == "undefined":
        raise DomainError(f"dfdx.numeric.limit: {side.message}; f returns NaN or raises for large "
                          f"{'positive' if a > 0 else 'negative'} x, so there is no limit to take.")
    return _result_from_sides(side, side, a, nfev, one=side, which="inf")


def _sides_near(f, a, dir):
    """The verdicts for the sides of `a` that `dir` names, and the evaluations they took."""
    sides = {}
    nfev = 0
    for sd, name in ((1, "+"), (-1, "-")):
        if name in dir:
            sides[name], n = _one_side(f, a, sd)
            nfev += n
    if all(s.kind == "undefined" for s in sides.values()):
        raise DomainError(f"dfdx.numeric.limit: f is undefined (NaN or raising) on "
                          f"{'both sides' if dir == '+-' else 'the ' + ('right' if dir == '+' else 'left')} "
                          f"of x={a!r}, so no point near it is in f's domain. Check the point, or the side "
                          "(dir='+' or '-').")
    return sides, nfev


def _side_value(s):
    if s is None or s.kind in ("undefined", "oscillating"):
        return None
    if s.kind == "uncertain":
        return None
    return _snap(s.value, s.error)


def _result_from_sides(L, R, a, nfev, one=None, which=None):
    info = {}
    if one is not None:
        v = _side_value(one)
        info["kind"] = one.kind
        left = v if which == "-" else None
        right = v if which == "+" else None
        if which == "inf":
            left = right = None
        if one.kind == "converged":
            return LimitResult(v, True, left, right, one.error, "numeric", message=one.message, nfev=nfev,
                               info=info)
        if one.kind == "infinite":
            return LimitResult(one.value, True, left, right, 0.0, "numeric", message=one.message, nfev=nfev,
                               info=info)
        if one.kind == "oscillating":
            return LimitResult(None, False, None, None, math.nan, "numeric", message=one.message, nfev=nfev,
                               info=info)
        info["guess"] = one.value
        info["reason"] = one.reason
        return LimitResult(None, None, None, None, one.error, "numeric", message="uncertain: " + one.message,
                           nfev=nfev, info=info)
    # two-sided
    verdict, exists = limit_verdict(L.kind, R.kind, lambda: _sides_same(L, R))
    if verdict in ("left", "right"):
        present = L if verdict == "left" else R
        res = _result_from_sides(None, None, a, nfev, one=present, which="+" if present is R else "-")
        msg = (f"f is undefined on the {'left' if present is R else 'right'} of x={a!r}; "
               f"this is the one-sided limit from the {'right' if present is R else 'left'} "
               f"(the limit within f's domain). {res.message}")
        return LimitResult(res.value, res.exists, res.left, res.right, res.error, "numeric", message=msg,
                           nfev=nfev, info=dict(res.info, one_sided=True))
    lv, rv = _side_value(L), _side_value(R)
    info["left_kind"], info["right_kind"] = L.kind, R.kind
    info["kind"] = verdict
    if verdict == "oscillating":
        side = "both sides" if L.kind == R.kind else ("the left" if L.kind == "oscillating" else "the right")
        return LimitResult(None, False, lv, rv, math.nan, "numeric", nfev=nfev, info=info,
                           message=f"the limit does not exist: f oscillates on {side} of x={a!r}")
    if verdict == "uncertain":
        msg = "; ".join(s.message for s in (L, R) if s.kind == "uncertain")
        info["guess_left"], info["guess_right"] = L.value, R.value
        info["reason"] = "; ".join(sorted({s.reason for s in (L, R) if s.kind == "uncertain" and s.reason}))
        return LimitResult(None, None, lv, rv, math.nan, "numeric", nfev=nfev, info=info,
                           message="uncertain: " + msg)
    if exists and verdict == "infinite":
        return LimitResult(L.value, True, L.value, R.value, 0.0, "numeric", nfev=nfev, info=info,
                           message=f"f tends to {L.value} on both sides")
    if exists:
        v = L.value if L.error <= R.error else R.value
        err = max(L.error, R.error, abs(L.value - R.value))
        return LimitResult(_snap(v, err), True, lv, rv, err, "numeric", nfev=nfev, info=info,
                           message="both one-sided limits agree")
    return LimitResult(None, False, lv, rv, math.nan, "numeric", nfev=nfev, info=info,
                       message=f"the one-sided limits differ (left {lv}, right {rv}): the limit does not exist")


def _sides_same(L, R) -> bool:
    """The two one-sided values are the same: equal infinities, or finite within their errors."""
    if L.kind != R.kind:
        return False
    if L.kind == "infinite":
        return L.value == R.value
    return abs(L.value - R.value) <= L.error + R.error + 1e-9 * max(1.0, abs(L.value), abs(R.value))


_KIND_RANK = {"continuous": 0, "removable": 1, "jump": 2, "oscillating": 3, "infinite": 4}


def continuity(f, at):
    """Decide whether f is continuous at a point, and if not, what kind of point it is.

    Uses f(at) (or its failure) and both one-sided limits. A point where f is
    undefined but the limit exists (sin(x)/x at 0) is ``removable`` with
    ``defined=False``. Where the two sides are of different kinds the worse one
    wins: infinite > oscillating > jump > removable. At the edge of f's domain
    (sqrt at 0) the one side inside the domain is used.

    Args:
        f: callable, one real number in, one real number out.
        at: a finite real number.

    Returns:
        ContinuityResult: ``continuous`` (True / False / None when uncertain),
        ``kind``, ``value`` (f(at) or None), ``defined``, ``limit``, ``message``.

    Raises:
        DomainError: f is undefined at and on both sides of `at`.

    Example:
        >>> import numpy as np
        >>> continuity(lambda x: np.sin(x) / x, 0).kind
        'removable'
        >>> continuity(lambda x: np.abs(x) / x, 0).kind
        'jump'
        >>> continuity(np.cos, 1.0).continuous
        True
    """
    check_callable(f, "continuity")
    a = _parse_at(at)
    if math.isinf(a):
        raise ValueError("continuity is about a finite point; for the behaviour at infinity use "
                         "dfdx.numeric.limit(f, float('inf')).")
    fa = _value_at(f, a)
    defined = math.isfinite(fa)
    value = fa if defined else None
    lim = limit(f, a)
    what = f"f({a!r}) = {fa!r}" if defined else f"f({a!r}) is undefined"
    kinds = [lim.info.get("left_kind"), lim.info.get("right_kind")]
    if lim.info.get("one_sided"):
        kinds = [lim.info.get("kind")]
    if lim.exists is None:
        return ContinuityResult(None, "uncertain", value, defined, lim, "numeric",
                                f"{what}; the limit is uncertain: {lim.message}")
    if lim.exists and lim.value is not None and math.isfinite(lim.value):
        if defined and abs(fa - lim.value) <= max(lim.error, 1e-9 * max(1.0, abs(fa))):
            return ContinuityResult(True, "continuous", value, True, lim, "numeric",
                                    f"{what} equals the limit" + (" (one-sided: edge of the domain)"
                                                                  if lim.info.get("one_sided") else ""))
        why = (f"{what} but the limit is {lim.value!r}" if defined else
               f"{what} but the limit exists and is {lim.value!r}")
        return ContinuityResult(False, "removable", value, defined, lim, "numeric",
                                f"removable discontinuity: {why}")
    kind = _discontinuity_kind(lim, kinds)
    return ContinuityResult(False, kind, value, defined, lim, "numeric",
                            f"{kind} discontinuity: {what}; {lim.message}")


def _value_at(f, a):
    """f(a), or NaN where f is undefined there."""
    try:
        return call_scalar(f, a, keep_inf=True)
    except UNDEFINED:
        return math.nan


def _discontinuity_kind(lim, kinds):
    """Where the limit is infinite or does not exist: the worst of what each side shows."""
    ranks = []
    for side_kind in kinds:
        if side_kind == "infinite":
            ranks.append("infinite")
        elif side_kind == "oscillating":
            ranks.append("oscillating")
    if lim.exists and lim.value is not None and math.isinf(lim.value):
        ranks.append("infinite")
    if not ranks:
        ranks.append("jump")
    return max(ranks, key=_KIND_RANK.get)
