"""dfdx.plot: each picture is rendered and its pixels checked, not only its file."""

import sys

import numpy as np
import pytest

import dfdx

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.colors import to_rgb  # noqa: E402

from dfdx import plot  # noqa: E402


def _image(fig):
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float)


def _colour_near(fig, ax, x, y, colour, radius=3, tol=60.0):
    """Whether a pixel of `colour` lies within `radius` pixels of the data point (x, y)."""
    img = _image(fig)
    px, py = ax.transData.transform((x, y))
    col, row = int(round(px)), int(round(img.shape[0] - py))
    assert 0 <= row < img.shape[0] and 0 <= col < img.shape[1], f"({x}, {y}) is off the canvas"
    patch = img[max(row - radius, 0):row + radius + 1, max(col - radius, 0):col + radius + 1]
    target = np.array(to_rgb(colour)) * 255
    return float(np.min(np.abs(patch - target).sum(axis=-1))) <= tol


def _not_blank(fig, min_fraction=0.02):
    img = _image(fig)
    ink = np.mean(np.any(img < 245, axis=-1))
    assert ink > min_fraction, f"only {ink:.3%} of the picture is drawn"
    return ink


def test_derivatives_draws_f_its_derivatives_and_the_tangent():
    fig = plot.derivatives(lambda x: x**2, at=1.0, xlim=(-2, 2))
    ax = fig.axes[0]
    _not_blank(fig)
    assert _colour_near(fig, ax, 0.5, 0.25, plot.COLORS["f"])       # f = x²
    assert _colour_near(fig, ax, -0.5, -1.0, plot.COLORS["df"])     # f' = 2x
    assert _colour_near(fig, ax, 0.0, 2.0, plot.COLORS["d2f"])      # f'' = 2
    assert _colour_near(fig, ax, 1.8, 2.6, plot.COLORS["tangent"])  # tangent 2x - 1
    # and not where there is no curve: f at x = 0.5 is 0.25, not 3
    assert not _colour_near(fig, ax, 0.5, 3.0, plot.COLORS["f"])
    assert "slope 2" in ax.get_title()


def test_derivatives_of_an_expression_string():
    fig = plot.derivatives("sin(x)", at=0.0, xlim=(-3, 3), order=1)
    ax = fig.axes[0]
    assert _colour_near(fig, ax, 1.0, np.sin(1.0), plot.COLORS["f"])
    assert _colour_near(fig, ax, 1.0, np.cos(1.0), plot.COLORS["df"])


def test_limit_shows_both_sides_converging():
    res = dfdx.LimitResult(value=1.0, exists=True, left=1.0, right=1.0, error=0.0,
                           method="exact")
    fig = plot.limit(lambda x: np.sin(x) / x, 0.0, result=res)
    ax, ax2 = fig.axes
    _not_blank(fig)
    h = 2.0 ** -2
    assert _colour_near(fig, ax, -h, np.sin(h) / h, plot.COLORS["left"])
    assert _colour_near(fig, ax, h, np.sin(h) / h, plot.COLORS["right"])
    assert _colour_near(fig, ax2, h, np.sin(h) / h, plot.COLORS["right"])
    assert fig.get_suptitle() == "lim f(x) as x → 0 = 1"


def test_limit_that_does_not_exist_shows_two_plateaus():
    fig = plot.limit(lambda x: np.abs(x) / x, 0.0)      # computes dfdx.limit itself
    ax = fig.axes[0]
    assert _colour_near(fig, ax, -0.25, -1.0, plot.COLORS["left"])
    assert _colour_near(fig, ax, 0.25, 1.0, plot.COLORS["right"])
    assert not _colour_near(fig, ax, 0.25, -1.0, plot.COLORS["right"])
    assert "no limit" in fig.get_suptitle() and "left -1" in fig.get_suptitle()


def test_discontinuity_marks_a_jump_and_an_asymptote():
    fig = plot.discontinuity(lambda x: np.abs(x) / x, 0.0)
    ax = fig.axes[0]
    assert ax.get_title() == "jump at x = 0"
    assert _colour_near(fig, ax, -1.0, -1.0, plot.COLORS["left"])
    assert _colour_near(fig, ax, 1.0, 1.0, plot.COLORS["right"])
    fig = plot.discontinuity(lambda x: 1 / x, 0.0)
    ax = fig.axes[0]
    assert ax.get_title() == "infinite at x = 0"
    y0 = np.mean(ax.get_ylim())
    assert _colour_near(fig, ax, 0.0, y0, plot.COLORS["limit"], radius=2)


def test_discontinuity_removable_marks_the_limit():
    res = dfdx.ContinuityResult(
        continuous=False, kind="removable", value=None, defined=False,
        limit=dfdx.LimitResult(value=1.0, exists=True, left=1.0, right=1.0, error=0.0),
        method="exact")
    fig = plot.discontinuity(lambda x: np.sin(x) / x, 0.0, result=res)
    ax = fig.axes[0]
    assert ax.get_title() == "removable at x = 0"
    assert _colour_near(fig, ax, 0.0, 1.0, plot.COLORS["limit"], radius=6)


def test_gradient_field_draws_contours_and_the_gradient_arrow():
    fig = plot.gradient_field(lambda x, y: x**2 + 3*y + np.exp(x*y), xlim=(-1, 1.5),
                              ylim=(-1, 2.5), at=(1.0, 2.0))
    ax = fig.axes[0]
    img = _image(fig)
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 50        # filled contours
    assert _colour_near(fig, ax, 1.0, 2.0, plot.COLORS["limit"])   # the point and its arrow
    assert "16.778" in ax.get_title() and "10.389" in ax.get_title()


def test_step_error_shows_truncation_and_rounding():
    fig = plot.step_error(np.exp, 1.0)
    ax = fig.axes[0]
    h = 1e-3
    central = abs((np.exp(1 + h) - np.exp(1 - h)) / (2 * h) - np.exp(1))   # truncation ~ h²
    forward = abs((np.exp(1 + h) - np.exp(1)) / h - np.exp(1))             # truncation ~ h
    assert _colour_near(fig, ax, h, central, plot.COLORS["right"])
    assert _colour_near(fig, ax, h, forward, plot.COLORS["left"])
    h = 1e-13                                                                # rounding dominates
    assert not _colour_near(fig, ax, h, 1e-12, plot.COLORS["right"], radius=1)


def test_training_curves():
    hist = {"loss": [2.0, 1.0, 0.5, 0.3], "accuracy": [0.2, 0.6, 0.8, 0.9],
            "test_loss": [2.1, 1.2, 0.7, 0.6], "test_accuracy": [0.2, 0.5, 0.75, 0.85]}
    fig = plot.training(hist)
    ax, ax2 = fig.axes
    assert _colour_near(fig, ax, 2, 1.0, plot.COLORS["left"])
    assert _colour_near(fig, ax, 3, 0.7, plot.COLORS["right"])
    assert _colour_near(fig, ax2, 4, 0.9, plot.COLORS["left"])
    with pytest.raises(ValueError, match="loss"):
        plot.training({"accuracy": [0.5]})


def test_save_png_and_svg(tmp_path):
    fig = plot.derivatives(np.sin, at=0.0)
    written = plot.save(fig, tmp_path / "sine")
    assert [p.name for p in written] == ["sine.png", "sine.svg"]
    img = matplotlib.image.imread(written[0])
    assert img.shape[0] > 100 and np.std(img) > 0.05
    assert "<svg" in written[1].read_text()[:500]
    assert [p.name for p in plot.save(fig, tmp_path / "only.svg")] == ["only.svg"]
    with pytest.raises(ValueError, match="png"):
        plot.save(fig, tmp_path / "x", formats="gif")


def test_figures_render_in_jupyter_as_png():
    fig = plot.training({"loss": [1.0, 0.5]})
    assert isinstance(fig, matplotlib.figure.Figure)
    png = fig._repr_png_()                     # what IPython's display calls
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_figures_never_use_pyplot():
    import inspect

    source = inspect.getsource(plot)
    # without pyplot there is no global figure state and no plt.show() to block a script
    assert "import matplotlib.pyplot" not in source and "import pyplot" not in source


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install dfdx\[plot\]"):
        plot.derivatives(np.sin)


# -- issue 11: pictures that tell the truth ------------------------------------------------------

def _curve(fig, label):
    line = next(ln for ln in fig.axes[0].get_lines() if ln.get_label() == label)
    return np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float)


def test_log_and_its_derivatives_are_drawn_only_where_defined():
    fig = plot.derivatives("log(x)", xlim=(-2.0, 2.0))
    for label in ("f", "f'", "f''"):
        x, y = _curve(fig, label)
        assert np.all(np.isnan(y[x < 0])), label        # 1/x exists for x < 0, log does not
        assert np.isfinite(y[x > 0.1]).all(), label


def test_tan_is_broken_at_its_poles_visible_and_its_asymptotes_marked():
    fig = plot.derivatives("tan(x)", xlim=(-3.0, 3.0), order=0)
    x, y = _curve(fig, "f")
    # no segment joins across ±pi/2: there is a NaN between the samples on either side
    for pole in (-np.pi / 2, np.pi / 2):
        seg = [k for k in range(len(x) - 1) if np.isfinite(x[k]) and np.isfinite(x[k + 1])
               and x[k] < pole < x[k + 1] and np.isfinite(y[k]) and np.isfinite(y[k + 1])]
        assert not seg
    lo, hi = fig.axes[0].get_ylim()
    assert 2 < hi < 1e3 and -1e3 < lo < -2          # the bulk of tan is visible
    asymptotes = [ln for ln in fig.axes[0].get_lines()
                  if ln.get_linestyle() == ":" and np.ptp(ln.get_xdata()) == 0]
    xs = sorted(float(ln.get_xdata()[0]) for ln in asymptotes)
    assert len(xs) == 2 and np.allclose(xs, [-np.pi / 2, np.pi / 2], atol=0.02)


def test_a_jump_is_not_joined():
    fig = plot.derivatives("floor(x)", xlim=(-2.0, 2.0), order=0)
    x, y = _curve(fig, "f")
    finite = np.isfinite(y[:-1]) & np.isfinite(y[1:])
    assert np.all(np.abs(np.diff(y))[finite] < 0.5)


def test_no_tangent_at_a_kink_but_the_two_one_sided_tangents():
    fig = plot.derivatives("abs(x)", at=0.0)
    labels = [ln.get_label() for ln in fig.axes[0].get_lines()]
    assert "left tangent" in labels and "right tangent" in labels
    assert not any(lb.startswith("tangent at") for lb in labels)
    x, y = _curve(fig, "left tangent")
    assert np.all(x <= 0) and np.allclose(y, -x)
    x, y = _curve(fig, "right tangent")
    assert np.all(x >= 0) and np.allclose(y, x)
    assert "kink" in fig.axes[0].get_title() and "abs(x)" in fig.axes[0].get_title()


def test_a_numpy_kink_gets_one_sided_tangents_too():
    fig = plot.derivatives(lambda x: np.abs(x - 1), at=1.0, xlim=(-1, 3))
    labels = [ln.get_label() for ln in fig.axes[0].get_lines()]
    assert "left tangent" in labels and "right tangent" in labels


def test_an_infinite_slope_is_a_vertical_tangent():
    fig = plot.derivatives("sqrt(x)", at=0.0, xlim=(-1.0, 3.0))
    line = next(ln for ln in fig.axes[0].get_lines() if ln.get_label().startswith("vertical"))
    assert np.ptp(line.get_xdata()) == 0 and float(line.get_xdata()[0]) == 0.0
    assert "vertical tangent" in fig.axes[0].get_title()


@pytest.mark.parametrize("make, name", [
    (lambda: plot.derivatives("sin(x)", at=1.0), "sin(x)"),
    (lambda: plot.limit("sin(x)/x", 0.0), "sin(x)/x"),
    (lambda: plot.discontinuity("abs(x)/x", 0.0), "abs(x)/x"),
    (lambda: plot.gradient_field("x**2 + y**2"), "x**2 + y**2"),
    (lambda: plot.step_error("exp(x)", 1.0), "exp(x)"),
])
def test_every_figure_title_names_the_function(make, name):
    fig = make()
    titles = [fig.get_suptitle()] + [a.get_title() for a in fig.axes]
    assert any(name in t for t in titles), titles


def test_save_pdf_from_the_suffix_and_refuse_an_unknown_one(tmp_path):
    fig = plot.derivatives("sin(x)")
    (path,) = plot.save(fig, tmp_path / "out.pdf")
    assert path.name == "out.pdf" and path.read_bytes()[:5] == b"%PDF-"
    with pytest.raises(ValueError, match=r"\.jpg.*png.*svg.*pdf"):
        plot.save(fig, tmp_path / "out.jpg")


def test_the_command_writes_a_pdf_and_refuses_an_unknown_suffix(tmp_path, capsys):
    from dfdx.cli import main
    assert main(["plot", "sin(x)", "-o", str(tmp_path / "s.pdf")]) == 0
    assert (tmp_path / "s.pdf").read_bytes()[:5] == b"%PDF-"
    capsys.readouterr()
    assert main(["plot", "sin(x)", "-o", str(tmp_path / "s.jpg")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and ".jpg" in err[0]


def test_a_pole_hit_exactly_by_a_sample_is_marked_and_the_log_tangent_stays_in_the_domain():
    fig = plot.derivatives("1/(x - 1)", xlim=(-3.0, 3.0), num=401)      # x = 1 is a sample
    dotted = [ln for ln in fig.axes[0].get_lines()
              if ln.get_linestyle() == ":" and np.ptp(ln.get_xdata()) == 0]
    assert len(dotted) == 1 and abs(float(dotted[0].get_xdata()[0]) - 1.0) < 0.02
    fig = plot.derivatives("log(x)", at=1.0, xlim=(-2.0, 2.0))
    x, _ = _curve(fig, "tangent at 1")
    assert np.all(x > 0)
