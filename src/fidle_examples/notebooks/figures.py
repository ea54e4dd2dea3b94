"""The figures of each notebook, in plain matplotlib.

The site draws its figures with the package (core/plots.py: French number format,
reference bands, shared style); a notebook cannot import it, so it draws the main
ones again in a few lines, from the variables the lesson code leaves. Written here
per example; the tests execute them, and the generator checks that each name they
use exists in the notebook.
"""

from __future__ import annotations

import textwrap

# Training and validation curves of a Keras history (or of its dict).
PLOT_HISTORY = textwrap.dedent('''\
    def plot_history(ax, history, keys, title, ylabel):
        """Training and validation curves, one point per epoch."""
        for key, label in zip(keys, ("entraînement", "validation")):
            values = history[key]
            ax.plot(range(1, len(values) + 1), values, label=label)
        ax.set(title=title, xlabel="époque", ylabel=ylabel)
        ax.legend()''')

_FIGURES = {
    "linear-regression": (
        "Les points, la droite trouvée par l'équation normale et la vraie droite.",
        '''\
        ends = np.array([0.0, X_MAX])
        plt.scatter(x, y, s=8, alpha=0.5, label="données")
        plt.plot(ends, a * ends + b, color="C1", label="droite estimée (équation normale)")
        plt.plot(ends, SLOPE * ends + INTERCEPT, "k--", label="vraie droite")
        plt.xlabel("x")
        plt.ylabel("y")
        plt.legend()
        plt.show()'''),
    "gradient-descent": (
        "La perte après chaque époque, pour les trois variantes : son écart à la perte "
        "minimale, celle de l'équation normale, sur une échelle logarithmique.",
        '''\
        best = loss(theta_exact, X, y)
        for variant, label in VARIANTS.items():
            gap = np.maximum(np.array(history[f"loss_{variant}"]) - best, 1e-12)
            plt.plot(range(1, len(gap) + 1), gap, label=label)
        plt.yscale("log")
        plt.xlabel("époque")
        plt.ylabel("perte − perte minimale")
        plt.legend()
        plt.show()'''),
    "polynomial-regression": (
        "Les erreurs d'entraînement et de validation selon le degré, puis trois "
        "ajustements : trop simple, bon compromis, trop complexe.",
        '''\
        plt.plot(degrees, train_mse, "o-", label="entraînement")
        plt.plot(degrees, val_mse, "o--", label="validation")
        plt.yscale("log")
        plt.xlabel("degré")
        plt.ylabel("MSE (échelle logarithmique)")
        plt.legend()
        plt.show()

        curve = np.linspace(-X_MAX, X_MAX, 400)
        fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
        for ax, degree in zip(axes, (1, GOOD_DEGREE, MAX_DEGREE)):
            ax.scatter(x_train, y_train, s=12, label="entraînement")
            ax.scatter(x_val, y_val, s=12, label="validation")
            ax.plot(curve, TRUE_POLYNOMIAL(curve), "k--", label="vrai polynôme")
            ax.plot(curve, fits[degree](curve), color="C3", label=f"degré {degree}")
            ax.set(title=f"degré {degree}", xlabel="x", ylim=(y.min() - 5, y.max() + 5))
        axes[0].legend()
        plt.show()'''),
    "logistic-regression": (
        "La perte et l'exactitude après chaque époque, puis les points de test et la "
        "frontière de décision du neurone, la droite w₁·x₁ + w₂·x₂ + b = 0.",
        '''\
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        plot_history(axes[0], history.history, ("loss", "val_loss"),
                     "Perte (entropie croisée binaire)", "perte")
        plot_history(axes[1], history.history, ("accuracy", "val_accuracy"),
                     "Exactitude", "exactitude")
        plt.show()

        for label in (0, 1):
            points = x_test[y_test == label]
            plt.scatter(points[:, 0], points[:, 1], s=10, label=f"classe {label}")
        x1 = np.linspace(x_test[:, 0].min(), x_test[:, 0].max(), 2)
        plt.plot(x1, -(w1 * x1 + b) / w2, "k", label="frontière de décision")
        plt.xlabel("x₁")
        plt.ylabel("x₂")
        plt.legend()
        plt.show()'''),
    "wine": (
        "La perte et l'erreur absolue moyenne après chaque époque.",
        '''\
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        plot_history(axes[0], history, ("loss", "val_loss"),
                     "Perte (erreur quadratique moyenne)", "MSE")
        plot_history(axes[1], history, ("mae", "val_mae"), "Erreur absolue moyenne", "MAE")
        plt.show()'''),
    "mnist": (
        "La perte et l'exactitude après chaque époque, sur les images d'entraînement et "
        "de validation.",
        '''\
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        plot_history(axes[0], history.history, ("loss", "val_loss"),
                     "Perte (entropie croisée)", "perte")
        plot_history(axes[1], history.history, ("accuracy", "val_accuracy"),
                     "Exactitude", "exactitude")
        plt.show()'''),
    "randomness": (
        "L'exactitude de validation après chaque époque, pour chaque entraînement : à "
        "gauche seule la graine de l'entraînement change, à droite seule celle des "
        "données.",
        '''\
        fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
        for ax, (family, label) in zip(axes, FAMILIES.items()):
            for s in [seed, *others]:
                ax.plot(runs[f"{family}-{s}"][0]["val_accuracy"], label=f"graine {s}")
            ax.set(title=label, xlabel="époque (à partir de 0)", ylabel="exactitude (validation)")
        axes[0].legend()
        plt.show()'''),
    "batch-size": (
        "La perte de validation selon la taille des lots : après chaque époque, puis "
        "selon les secondes de calcul.",
        '''\
        fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
        for key, history in histories.items():
            label = "lot complet" if key == "full" else f"lots de {key}"
            epochs = range(1, len(history["val_loss"]) + 1)
            axes[0].plot(epochs, history["val_loss"], label=label)
            axes[1].plot(history["seconds"], history["val_loss"], label=label)
        axes[0].set(xlabel="époque", ylabel="perte (validation)", yscale="log")
        axes[1].set(xlabel="secondes de calcul (cumulées)")
        axes[0].legend()
        plt.show()'''),
    "overfitting": (
        "Les pertes d'entraînement et de validation de chaque variante.",
        '''\
        fig, axes = plt.subplots(1, len(VARIANTS), figsize=(14, 4), sharey=True)
        for ax, (variant, label) in zip(axes, VARIANTS.items()):
            plot_history(ax, histories[variant], ("ce", "val_ce"), label, "entropie croisée")
        axes[0].set_yscale("log")
        plt.show()'''),
    "backpropagation": (
        "La perte après chaque époque de la descente de gradient écrite à la main.",
        '''\
        plt.plot(range(1, len(losses) + 1), losses)
        plt.xlabel("époque")
        plt.ylabel("perte (entropie croisée binaire)")
        plt.show()'''),
    "svm-vs-dnn": (
        "L'exactitude de test et le temps d'entraînement selon le nombre d'images.",
        '''\
        sizes = [row["size"] for row in rows]
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for model, label in (("svm", "SVM (noyau RBF)"), ("dnn", "réseau dense")):
            axes[0].plot(sizes, [row[f"{model}_accuracy"] for row in rows], "o-", label=label)
            axes[1].plot(sizes, [row[f"{model}_seconds"] for row in rows], "o-", label=label)
        axes[0].set(xscale="log", xlabel="images d'entraînement", ylabel="exactitude (test)")
        axes[1].set(xscale="log", yscale="log", xlabel="images d'entraînement",
                    ylabel="secondes d'entraînement")
        axes[0].legend()
        plt.show()'''),
}


def figures(name: str) -> tuple[str, str] | None:
    """(what the figures show, in French; their code) for example `name`, the code
    preceded by the definition of plot_history when it uses it; None if none."""
    entry = _FIGURES.get(name)
    if entry is None:
        return None
    text, code = entry
    code = textwrap.dedent(code)
    if "plot_history(" in code:
        code = PLOT_HISTORY + "\n\n\n" + code
    return text, code
