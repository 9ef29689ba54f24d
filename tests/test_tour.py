"""The tour (`dfdx tour`, `make demo`): runs to the end, shows the seed's examples, writes pictures."""

import io

import pytest

from dfdx import tour


@pytest.fixture(scope="module")
def quick_tour(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    buf = io.StringIO()
    status = tour.run(out=out, quick=True, stream=buf)
    return status, buf.getvalue(), out


def test_tour_runs_to_the_end_and_everything_agrees(quick_tour):
    status, text, _ = quick_tour
    assert "step failed" not in text, text
    assert "THE METHODS DISAGREE" not in text, text
    assert status == 0, text
    assert "━━ Summary" in text and " NO " not in text.split("━━ Summary")[1]


def test_tour_shows_the_seed_examples(quick_tour):
    _, text, _ = quick_tour
    text = " ".join(text.split())      # lines are wrapped at 100 columns
    # f(x) = 2x² + 3x + 1: f'(1) = 7 and f''(1) = 4 by grad, nested tapes and derivative(n=2)
    assert "dfdx.grad(f)(1.0) = 7; dfdx.derivative(f, n=2)(1.0) = 4; nested tapes: 7, 4" in text
    # ∇(x² + 3y + exp(xy)) at (1, 2) = (2 + 2e², 3 + e²), exactly
    assert "(2 + 2*exp(2), 3 + exp(2))" in text
    # the three tutorial samples that are wrong as written, shown corrected
    assert "hasattr(np, 'limit') is False" in text and "dfdx.numeric.limit" in text
    assert "np.meshgrid(x, y, indexing='ij')" in text and "dfdx.grid.gradient" in text
    assert "TapeError" in text and "nest the tapes" in text
    # a limit that does not exist, with both one-sided values
    assert "abs(x)/x at 0: does not exist — left -1, right 1" in text
    for kind in ("removable", "jump", "infinite", "oscillating"):
        assert f"{kind}" in text


def test_tour_writes_its_pictures(quick_tour):
    _, text, out = quick_tour
    pngs = sorted(p.name for p in out.glob("*.png"))
    pytest.importorskip("matplotlib")
    for name in ("derivatives", "step-error", "gradient-field", "limit-sinx-over-x",
                 "limit-abs-jump", "discontinuity-jump", "discontinuity-removable"):
        assert f"{name}.png" in pngs, pngs
        assert (out / f"{name}.svg").exists()
        assert (out / f"{name}.png").stat().st_size > 5000


def test_a_missing_extra_skips_a_step_with_one_line(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sklearn", None)
    buf = io.StringIO()
    status = tour.run(out=None, only=["training"], stream=buf)
    assert status == 0
    assert "skipped: the digits come with scikit-learn: pip install dfdx[train]" in buf.getvalue()


def test_unknown_step_is_refused():
    with pytest.raises(ValueError, match="unknown tour steps"):
        tour.run(out=None, only=["nope"], stream=io.StringIO())


def test_every_line_of_the_tour_fits_100_columns_summary_table_included(quick_tour):
    text = quick_tour[1] if isinstance(quick_tour, tuple) else quick_tour
    lines = str(text).splitlines()
    assert any(line.startswith("━━ Summary") for line in lines)
    wide = [line for line in lines if len(line) > 100]
    assert not wide, wide


def test_the_tour_judges_agreement_by_the_one_policy():
    from dfdx import tour
    from dfdx.result import Estimate

    assert tour._close(2e20, 2e20 * (1 + 1e-12)) and not tour._close(1.0, 1.0 + 1e-6)
    assert tour._within(Estimate(1.0 + 1e-8, 2e-8, 1), 1.0)
    assert not tour._within(Estimate(1.0 + 1e-6, 1e-9, 1), 1.0)
    assert not tour._within(Estimate(5.0, float("inf"), 1), 1.0)     # uncertain is not agreement
