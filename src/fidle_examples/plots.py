"""Figures as deterministic SVG, with French labels and one shared style."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no screen needed: figures go to files and pages
import matplotlib.pyplot as plt  # noqa: E402

plt.rcParams.update({
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
})

# Colour-blind safe palette (Okabe-Ito).
COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
plt.rcParams["axes.prop_cycle"] = matplotlib.cycler(color=COLORS)

# French labels for the usual Keras history keys.
LABELS = {
    "loss": "perte (entraînement)",
    "val_loss": "perte (validation)",
    "accuracy": "exactitude (entraînement)",
    "val_accuracy": "exactitude (validation)",
    "mae": "MAE (entraînement)",
    "val_mae": "MAE (validation)",
}


def new_figure(width: float = 6.4, height: float = 4.0, **kwargs):
    return plt.subplots(figsize=(width, height), layout="constrained", **kwargs)


def to_svg(fig) -> str:
    """Render and close `fig`; French decimal commas are set by `french_axes`."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buffer.getvalue()


def french_axes(*axes) -> None:
    """Decimal comma on the tick labels of the given axes."""
    from matplotlib.ticker import FuncFormatter

    def comma(value, _pos):
        text = f"{value:g}"
        return text.replace("-", "\u2212").replace(".", ",")

    for ax in axes:
        ax.xaxis.set_major_formatter(FuncFormatter(comma))
        ax.yaxis.set_major_formatter(FuncFormatter(comma))


def history_curves(history: dict[str, list[float]], keys: list[str], title: str,
                   ylabel: str, log: bool = False) -> str:
    """Curves per epoch (training and validation) for the given history keys."""
    fig, ax = new_figure()
    for key in keys:
        values = history[key]
        style = "--" if key.startswith("val_") else "-"
        ax.plot(range(1, len(values) + 1), values, style, label=LABELS.get(key, key),
                marker="o" if len(values) <= 30 else None, markersize=3)
    ax.set_xlabel("époque")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if log:
        ax.set_yscale("log")
    else:
        french_axes(ax)
    ax.legend()
    return to_svg(fig)


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
