"""Figures as deterministic SVG, with French labels and one shared style.

The style is applied while a figure is drawn, never at import: importing this module
(a learner's Jupyter kernel may) leaves matplotlib's settings and backend as they were.
core.figures draws every declared figure inside `style()`, and each helper here that
makes a whole figure enters it too. Figures are made without pyplot: no backend, no
window, nothing kept in a list of open figures."""

from __future__ import annotations

import functools
import io

import matplotlib
from matplotlib.figure import Figure

from fidle_examples.core import frenchfmt

# Colour-blind safe palette (Okabe-Ito).
COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

STYLE = {
    "svg.hashsalt": "fidle",  # stable ids: same run, same bytes
    "svg.fonttype": "none",  # text stays text: searchable, lighter, sharp
    "font.family": "sans-serif",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.formatter.use_locale": False,
    "figure.dpi": 100,
    "axes.prop_cycle": matplotlib.cycler(color=COLORS),
}

# French labels for the usual Keras history keys.
LABELS = {
    "loss": "perte (entraînement)",
    "val_loss": "perte (validation)",
    "accuracy": "exactitude (entraînement)",
    "val_accuracy": "exactitude (validation)",
    "mae": "MAE (entraînement)",
    "val_mae": "MAE (validation)",
}


def style():
    """The chart style for a `with` block: matplotlib's settings are put back after it."""
    return matplotlib.rc_context(STYLE)


def styled(function):
    """`function` (that makes a whole figure) drawn inside `style()`."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with style():
            return function(*args, **kwargs)
    return wrapper


@styled
def new_figure(width: float = 6.4, height: float = 4.0, **kwargs):
    """(figure, axes) as plt.subplots makes them (kwargs: ncols, sharey...)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(**kwargs)


@styled
def to_svg(fig) -> str:
    """The SVG of `fig`; French decimal commas are set by `french_axes`."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def french_axes(*axes, x: bool = True, y: bool = True) -> None:
    """Decimal comma on the tick labels of the given axes (x and/or y)."""
    from matplotlib.ticker import FuncFormatter

    def comma(value, _pos):
        return frenchfmt.short(value)

    for ax in axes:
        if x:
            ax.xaxis.set_major_formatter(FuncFormatter(comma))
        if y:
            ax.yaxis.set_major_formatter(FuncFormatter(comma))


@styled
def line_chart(x, series: dict[str, list[float]], title: str, xlabel: str, ylabel: str,
               log: bool = False, dashed: tuple[str, ...] = (),
               bands: dict[str, tuple[list[float], list[float]]] | None = None,
               band_label: str = "", vline: tuple[float, str] | None = None) -> str:
    """One curve per entry of `series` (label -> values), drawn against `x`; `bands`
    (label -> (low, high)) shades a range behind the curve of the same label; `vline`
    (x, label) marks one abscissa with a dotted vertical line."""
    fig, ax = new_figure()
    if vline is not None:
        ax.axvline(vline[0], color="#555555", linestyle=":", linewidth=1.2, label=vline[1])
    for index, (label, values) in enumerate(series.items()):
        color = COLORS[index % len(COLORS)]
        if bands and label in bands:
            low, high = bands[label]
            n = min(len(low), len(x))
            ax.fill_between(list(x)[:n], low[:n], high[:n], color=color, alpha=0.18,
                            linewidth=0, label=f"{label}\u00a0: {band_label}" if band_label else None)
        ax.plot(x, values, "--" if label in dashed else "-", label=label, color=color,
                marker="o" if len(values) <= 30 else None, markersize=3)
    if all(float(v).is_integer() for v in x):  # epochs, degrees: no "2,5" ticks
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if log:
        ax.set_yscale("log")
        french_axes(ax, y=False)
    else:
        french_axes(ax)
    ax.legend()
    return to_svg(fig)


def history_curves(history: dict[str, list[float]], keys: list[str], title: str,
                   ylabel: str, log: bool = False, reference=None,
                   best: str | None = None) -> str:
    """Curves per epoch (training and validation) for the given history keys; with a
    `reference` (core.reference.Reference), its min–max band over the seeds behind;
    with `best` (a history key), a dotted line at the epoch where it is lowest."""
    series = {LABELS.get(key, key): history[key] for key in keys}
    dashed = tuple(LABELS.get(key, key) for key in keys if key.startswith("val_"))
    epochs = range(1, len(history[keys[0]]) + 1)
    bands, band_label = {}, ""
    if reference is not None:
        for key in keys:
            band = reference.band(key)
            if band:
                bands[LABELS.get(key, key)] = (band[0], band[2])
        band_label = f"plage des {len(reference.seeds)} graines de référence"
    vline = None
    if best is not None:
        values = history[best]
        epoch = values.index(min(values)) + 1
        what = "validation" if best.startswith("val_") else LABELS.get(best, best)
        vline = (epoch, f"meilleure époque de {what}\u00a0: {epoch}")
    return line_chart(epochs, series, title, "époque", ylabel, log, dashed, bands, band_label,
                      vline)


@styled
def confusion_matrix(y_true, y_pred, classes: list) -> str:
    """Counts of (true class, predicted class), with the counts written in the cells."""
    import numpy as np

    n = len(classes)
    counts = np.zeros((n, n), dtype=int)
    np.add.at(counts, (np.asarray(y_true), np.asarray(y_pred)), 1)
    fig, ax = new_figure(5.6, 5.0)
    ax.grid(False)
    ax.imshow(np.log1p(counts), cmap="Blues")
    threshold = np.log1p(counts).max() / 2
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=7,
                    color="white" if np.log1p(counts[i, j]) > threshold else "black")
    ax.set_xticks(range(n), [str(c) for c in classes])
    ax.set_yticks(range(n), [str(c) for c in classes])
    ax.set_xlabel("classe prédite")
    ax.set_ylabel("vraie classe")
    ax.set_title("Matrice de confusion")
    return to_svg(fig)


@styled
def image_gallery(images, y_true, y_pred, indices, columns: int = 8) -> str:
    """Small images with "vrai → prédit" under each one."""
    import math

    rows = max(1, math.ceil(len(indices) / columns))
    fig, axes = new_figure(columns * 0.95, rows * 1.15, nrows=rows, ncols=columns,
                           squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, index in zip(axes.flat, indices):
        ax.imshow(images[index], cmap="gray_r")
        ax.set_title(f"{y_true[index]} → {y_pred[index]}", fontsize=9, color="#B00020")
    return to_svg(fig)


def _points_and_curves(ax, points: dict, curves: dict, dashed: tuple[str, ...]) -> None:
    """Scatter clouds (label -> (x, y)) then curves (label -> (x, y)), one colour each."""
    colors = iter(COLORS)
    for label, (px, py) in points.items():
        ax.scatter(px, py, s=14, alpha=0.6, color=next(colors), label=label, linewidths=0)
    for label, (cx, cy) in curves.items():
        ax.plot(cx, cy, "--" if label in dashed else "-", color=next(colors), label=label,
                linewidth=2)
    ax.legend(fontsize=8)
    french_axes(ax)


@styled
def points_and_curves(points: dict, curves: dict, title: str, xlabel: str, ylabel: str,
                      dashed: tuple[str, ...] = ()) -> str:
    """A cloud of points with the curves fitted to it (and the true one, dashed)."""
    fig, ax = new_figure()
    _points_and_curves(ax, points, curves, dashed)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return to_svg(fig)


@styled
def panels_points_and_curves(panels: dict[str, tuple[dict, dict]], xlabel: str, ylabel: str,
                             ylim: tuple[float, float], dashed: tuple[str, ...] = ()) -> str:
    """Side-by-side `points_and_curves` panels (title -> (points, curves)), same y scale."""
    fig, axes = new_figure(3.4 * len(panels), 3.8, ncols=len(panels), squeeze=False,
                           sharey=True)
    for ax, (title, (points, curves)) in zip(axes.flat, panels.items()):
        _points_and_curves(ax, points, curves, dashed)
        ax.set(title=title, xlabel=xlabel, ylim=ylim)
    axes[0, 0].set_ylabel(ylabel)
    return to_svg(fig)


@styled
def loss_contours(a, b, loss, paths: dict, optimum, title: str, xlabel: str,
                  ylabel: str) -> str:
    """Level lines of a loss over a grid of two parameters, with descent paths on top.

    `a`, `b`: 1-D grids; `loss[j, i]` is the loss at (a[i], b[j]); `paths`: label ->
    array (steps, 2) of successive (a, b); `optimum`: the exact solution (a, b).
    """
    import numpy as np

    fig, ax = new_figure(6.4, 5.0)
    # Levels log-spaced above the minimum: the valley is flat, the walls are steep.
    low = loss.min()
    levels = low + (loss.max() - low) * np.geomspace(1e-3, 1, 15)
    ax.contour(a, b, loss, levels=levels, colors="#9a9a9a", linewidths=0.7)
    for color, (label, path) in zip(COLORS, paths.items()):
        ax.plot(path[:, 0], path[:, 1], "-", color=color, linewidth=1, marker=".",
                markersize=2.5, label=label)
    ax.plot(*optimum, marker="*", markersize=14, color="black", linestyle="none",
            label="solution exacte (équation normale)")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel,
           xlim=(a.min(), a.max()), ylim=(b.min(), b.max()))
    ax.legend(fontsize=8, loc="lower right")
    french_axes(ax)
    return to_svg(fig)


def decision_boundary(x, y, weights, bias: float, title: str,
                      class_names: tuple[str, str]) -> str:
    """Points of two classes, the predicted probability as shading, and the line p = 0,5.

    The neuron predicts p = sigmoid(w1·x1 + w2·x2 + b); p = 0,5 where w1·x1 + w2·x2 + b = 0.
    """
    import numpy as np

    return probability_map(x, y, lambda grid: 1 / (1 + np.exp(-(grid @ np.asarray(weights)
                                                                   + bias))),
                           title, class_names)


@styled
def probability_map(x, y, probability, title: str, class_names: tuple[str, str]) -> str:
    """Points of two classes over the shading of a model's probability of class 1, with
    its decision boundary (p = 0,5). `probability` maps points (m, 2) to p (m,)."""
    import numpy as np

    fig, ax = new_figure(6.0, 5.0)
    ax.grid(False)
    pad = 0.5
    g1, g2 = np.meshgrid(np.linspace(x[:, 0].min() - pad, x[:, 0].max() + pad, 200),
                         np.linspace(x[:, 1].min() - pad, x[:, 1].max() + pad, 200))
    p = np.asarray(probability(np.c_[g1.ravel(), g2.ravel()])).reshape(g1.shape)
    shading = ax.contourf(g1, g2, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    ax.contour(g1, g2, p, levels=[0.5], colors="black", linewidths=1.5)
    for label, (name, color, marker) in enumerate(zip(class_names, (COLORS[0], COLORS[1]),
                                                      ("o", "^"))):
        chosen = y == label
        ax.scatter(x[chosen, 0], x[chosen, 1], s=16, color=color, marker=marker,
                   edgecolors="white", linewidths=0.4, label=name)
    ax.plot([], [], color="black", label="frontière de décision (p = 0,5)")
    bar = fig.colorbar(shading, ax=ax)
    bar.set_label(f"probabilité prédite « {class_names[1]} »")
    ax.set(title=title, xlabel="x₁", ylabel="x₂")
    ax.legend(fontsize=8, loc="upper left")
    french_axes(ax, bar.ax)
    return to_svg(fig)


@styled
def predicted_vs_true(y_true, y_pred, title: str, xlabel: str, ylabel: str,
                      point_label: str = "un exemple") -> str:
    """Each point is one sample: true value across, prediction up; perfect = diagonal."""
    fig, ax = new_figure(5.2, 4.8)
    ax.scatter(y_true, y_pred, s=14, alpha=0.35, color=COLORS[0], linewidths=0,
               label=point_label)
    low, high = min(y_true.min(), y_pred.min()), max(y_true.max(), y_pred.max())
    ax.plot([low, high], [low, high], "--", color="black", label="prédiction parfaite")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(fontsize=8)
    french_axes(ax)
    return to_svg(fig)


# --- Figures of the "questions" experiments -------------------------------------------

def _epochs_axis(ax) -> None:
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))


@styled
def spread_bands(panels: dict[str, list[list[float]]], xlabel: str, ylabel: str,
                 title: str) -> str:
    """Side-by-side panels (title -> runs): each run as a thin line, the min–max
    envelope as a band and the mean as a thick line; same y scale."""
    import numpy as np

    fig, axes = new_figure(3.6 * len(panels), 4.0, ncols=len(panels), squeeze=False,
                           sharey=True)
    for ax, (panel_title, runs) in zip(axes.flat, panels.items()):
        values = np.array(runs)
        x = np.arange(1, values.shape[1] + 1)
        for run in values:
            ax.plot(x, run, color=COLORS[0], linewidth=0.6, alpha=0.5)
        ax.fill_between(x, values.min(axis=0), values.max(axis=0), color=COLORS[0],
                        alpha=0.2, linewidth=0, label="enveloppe (min–max)")
        ax.plot(x, values.mean(axis=0), color=COLORS[1], linewidth=2, label="moyenne")
        ax.set(title=_wrap(panel_title, 40), xlabel=xlabel)
        _epochs_axis(ax)
        french_axes(ax)
        ax.legend(fontsize=8, loc="lower right")
    axes[0, 0].set_ylabel(ylabel)
    fig.suptitle(title)
    return to_svg(fig)


@styled
def dot_groups(groups: dict[str, list[float]], title: str, ylabel: str,
               point_labels: list[str]) -> str:
    """One column of dots per group (one dot per run, labelled), its mean as a bar."""
    fig, ax = new_figure(6.4, 4.2)
    for column, (group, values) in enumerate(groups.items()):
        ax.scatter([column] * len(values), values, s=30, color=COLORS[column], zorder=3)
        for value, label in zip(values, point_labels):
            ax.annotate(label, (column, value), xytext=(6, 0), textcoords="offset points",
                        va="center", fontsize=7, color="#555555")
        mean = sum(values) / len(values)
        ax.plot([column - 0.25, column + 0.25], [mean, mean], color="black", linewidth=1.5)
    ax.plot([], [], color="black", linewidth=1.5, label="moyenne")
    ax.set_xticks(range(len(groups)), [_wrap(g) for g in groups])
    ax.set_xlim(-0.6, len(groups) - 0.4)
    ax.set(title=title, ylabel=ylabel)
    ax.legend(fontsize=8)
    french_axes(ax, x=False)
    return to_svg(fig)


def _wrap(text: str, width: int = 30) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def _curves(ax, curves: dict, dashed: tuple[str, ...] = ()) -> None:
    """Curves (label -> (x, y)), each with its own x, one colour each."""
    for label, (cx, cy) in curves.items():
        ax.plot(list(cx), list(cy), "--" if label in dashed else "-", label=label,
                marker="o" if len(cy) <= 30 else None, markersize=3)


@styled
def xy_curves(curves: dict, title: str, xlabel: str, ylabel: str, log: bool = False) -> str:
    """Curves that do not share their x values (label -> (x, y))."""
    fig, ax = new_figure()
    _curves(ax, curves)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if log:
        ax.set_yscale("log")
    french_axes(ax, y=not log)
    ax.legend(fontsize=8)
    return to_svg(fig)


@styled
def history_panels(panels: dict[str, dict[str, list[float]]], ylabel: str,
                   dashed: tuple[str, ...] = (), log: bool = False) -> str:
    """A grid of small panels (title -> {label: values per epoch}), same scales."""
    import math

    columns = 2 if len(panels) > 1 else 1
    rows = math.ceil(len(panels) / columns)
    fig, axes = new_figure(3.4 * columns, 2.8 * rows, nrows=rows, ncols=columns,
                           squeeze=False, sharex=True, sharey=True)
    for ax, (panel_title, series) in zip(axes.flat, panels.items()):
        _curves(ax, {label: (range(1, len(values) + 1), values)
                     for label, values in series.items()}, dashed)
        ax.set_title(panel_title)
        if log:
            ax.set_yscale("log")
        _epochs_axis(ax)
        french_axes(ax, y=not log)
        ax.legend(fontsize=7)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)
    for ax in axes[-1, :]:
        ax.set_xlabel("époque")
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    return to_svg(fig)


@styled
def panels_vs_x(x, panels: dict[str, tuple[str, dict[str, list[float]], bool]],
                xlabel: str) -> str:
    """Side-by-side panels sharing a logarithmic x axis: title -> (ylabel, series, log y)."""
    fig, axes = new_figure(3.6 * len(panels), 4.0, ncols=len(panels), squeeze=False)
    for ax, (panel_title, (ylabel, series, log)) in zip(axes.flat, panels.items()):
        _curves(ax, {label: (x, values) for label, values in series.items()})
        ax.set_xscale("log")
        if log:
            ax.set_yscale("log")
        ax.set_xticks(list(x), [frenchfmt.number(v, 0) for v in x])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set(title=panel_title, xlabel=xlabel, ylabel=ylabel)
        french_axes(ax, x=False, y=not log)
        ax.legend(fontsize=8)
    return to_svg(fig)
