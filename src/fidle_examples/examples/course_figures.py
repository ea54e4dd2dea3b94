"""Les figures des chapitres du cours, calculées et dessinées par le code.

Ce module ne reprend pas un carnet de Fidle : il produit les figures qui
accompagnent la théorie des chapitres. Chaque nombre dessiné est calculé ici, en
NumPy, sans Keras et en une fraction de seconde : fonctions d'activation et leurs
dérivées ; surface de la perte d'une régression linéaire, avec les trajets de la
descente de gradient pour trois taux d'apprentissage ; sous- et sur-apprentissage
de polynômes ; frontière de décision d'un neurone sigmoïde ; le « ou exclusif »
(XOR), qu'aucun neurone seul ne sépare et qu'un réseau à deux couches apprend ;
graphe de calcul d'un petit réseau, avec ses valeurs et ses gradients ; perte
charnière, perte logistique et perte 0-1 ; un exemple chiffré de softmax et
d'entropie croisée. Les entrées des exemples chiffrés sont celles des chapitres.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from fidle_examples.core import frenchfmt, plots
from fidle_examples.core.context import RunContext
from fidle_examples.core.contract import Metric
from fidle_examples.core.results import Result

NAME = "course-figures"
DATASETS = ()  # every point is synthetic or written in the chapters


@dataclass(frozen=True)
class Config:
    regression_points: int = 30  # points of the loss-surface regression
    descent_steps: int = 100  # gradient-descent steps drawn for each learning rate
    fitting_points: int = 20  # training points of the under/over-fitting figure
    validation_points: int = 200
    xor_hidden_units: int = 4
    xor_steps: int = 2000  # full-batch gradient-descent steps of the XOR network
    seed: int = 0


# Everything runs in well under a second: both profiles are the full computation.
PROFILES = {"full": Config(), "quick": Config()}

# Worked examples: their inputs are written on the chapter pages, so they are fixed here.
LEARNING_RATES = {"trop petit": 0.03, "adapté": 0.3, "trop grand": 0.5}
DESCENT_START = (0.0, 4.0)  # (a, b) where every descent starts
TRUE_LINE = (2.0, 1.0)  # y = 2x + 1, plus noise
DEGREES = (1, 4, 15)  # under-fitting, a good fit, over-fitting
NEURON = {"w": (2.0, -1.0), "b": 0.5, "x": (1.0, 3.0)}  # regression-logistique.md
STEEPER = 4.0  # the same boundary with weights and bias multiplied by 4
# retropropagation.md, « Exemple chiffré »: ŷ = w2·ReLU(w1·x + b1) + b2, ℓ = ½(ŷ − y)².
GRAPH_INPUTS = {"x": 1.0, "y": 2.0, "w1": 0.5, "b1": 0.0, "w2": 2.0, "b2": 0.0}
SOFTMAX_CLASSES = ("chat", "chien", "oiseau")
SOFTMAX_LOGITS = (2.0, 1.0, 0.1)
SOFTMAX_TRUE_CLASS = 0  # « chat »
# regression-lineaire.md, « Mettre les variables à l'échelle »: a variable far from 0
# (x from 5 to 15), the same descent rule before and after standardisation.
SCALING_X = (5.0, 15.0)
SCALING_LINE = (0.5, 3.0)  # y = 0,5x + 3, plus noise
SCALING_STEPS = 100
SCALING_TOLERANCE = 1e-3  # converged: the loss gap below 10⁻³ of the starting gap
# svm.md, « La marge »: two clouds of points, separable (hard margin) or not (soft).
SVM_CENTERS = ((-1.0, -1.0), (1.0, 1.0))
SVM_SPREAD = {"dure": 0.45, "souple": 0.8}
SVM_C = {"dure": 1e6, "souple": 1.0}  # C huge: the hard margin, no point inside
SVM_POINTS = 20  # per class



def _french_spaces(text: str) -> str:
    """No-break spaces before « : ; ! ? » and after « », as on the pages (HTML captions)."""
    return re.sub(r" ([:;!?»])", "\u00a0\\1", text).replace("« ", "«\u00a0")


METRICS = {
    "sigmoid_slope_max": Metric("Pente maximale de la sigmoïde, σ′(0)", "number", 2),
    "learning_rate_limit": Metric("Taux d'apprentissage au-delà duquel la descente diverge",
                                  "number", 3),
    **{f"fit_{split}_error_{d}": Metric(f"Erreur quadratique moyenne {label}, degré {d}",
                                        "number", 3)
       for d in DEGREES for split, label in (("train", "d'entraînement"),
                                             ("validation", "de validation"))},
    "neuron_example_output": Metric("Sortie du neurone pour l'exemple x = (1 ; 3)", "number", 3),
    "xor_linear_accuracy": Metric("Meilleure exactitude d'un neurone seul sur le XOR",
                                  "percent", 0),
    "xor_network_accuracy": Metric("Exactitude du réseau à deux couches sur le XOR",
                                   "percent", 0),
    **{f"softmax_probability_{k + 1}": Metric(f"Probabilité softmax de la classe « {c} »",
                                              "number", 3)
       for k, c in enumerate(SOFTMAX_CLASSES)},
    "softmax_cross_entropy": Metric("Entropie croisée de l'exemple softmax", "number", 3),
    "scaling_condition_raw": Metric("Conditionnement de la perte, variable brute", "number", 0),
    "scaling_condition_standardised": Metric("Conditionnement de la perte, variable "
                                             "standardisée", "number", 0),
    "scaling_steps_raw": Metric("Pas de descente jusqu'à la convergence, variable brute",
                                "integer"),
    "scaling_steps_standardised": Metric("Pas de descente jusqu'à la convergence, variable "
                                         "standardisée", "integer"),
    "svm_width_hard": Metric("Largeur de la marge dure", "number", 2),
    "svm_support_hard": Metric("Vecteurs de support, marge dure", "integer"),
    "svm_support_soft": Metric("Vecteurs de support, marge souple", "integer"),
    "svm_inside_soft": Metric("Points dans la marge ou mal classés, marge souple", "integer"),
}
METRICS = {key: Metric(_french_spaces(m.label), m.kind, m.digits) for key, m in METRICS.items()}
FIGURES = {key: _french_spaces(caption) for key, caption in {
    "activations": "Fonctions d'activation et leurs dérivées",
    "loss-surface": "Surface de la perte d'une régression linéaire et trajets de la descente "
                    "de gradient pour trois taux d'apprentissage",
    "under-over-fitting": "Sous-apprentissage et sur-apprentissage : trois polynômes ajustés "
                          "aux mêmes points, avec leurs erreurs quadratiques moyennes",
    "sigmoid-boundary": "Sortie d'un neurone sigmoïde et sa frontière de décision, pour "
                        "w = (2 ; −1) et b = 0,5, puis pour des poids quatre fois plus grands",
    "xor": "Le ou exclusif (XOR) : un neurone seul contre un réseau à deux couches",
    "computational-graph": "Graphe de calcul de ŷ = w₂·ReLU(w₁x + b₁) + b₂ avec la perte "
                           "ℓ = ½(ŷ − y)², pour x = 1, y = 2, w₁ = 0,5, b₁ = 0, w₂ = 2, "
                           "b₂ = 0 : valeurs de la propagation avant et gradients de la "
                           "rétropropagation",
    "hinge-logistic": "Perte charnière, perte logistique et perte 0-1 en fonction de "
                      "y·f(x), la marge fonctionnelle",
    "softmax": "Softmax : des logits (2 ; 1 ; 0,1) aux probabilités, entropie croisée et "
               "gradient p − y pour la vraie classe « chat »",
    "feature-scaling": "Mise à l'échelle : courbes de niveau de la perte et descente de "
                       "gradient, avec la variable brute puis standardisée (même règle de pas)",
    "svm-margin": "La marge d'un SVM linéaire : la route la plus large, ses vecteurs de support, "
                  "et les points dans la marge d'un SVM à marge souple",
}.items()}

FORWARD, BACKWARD = plots.COLORS[0], plots.COLORS[1]  # blue values, vermillion gradients


# --- The mathematics (also used by the tests) -----------------------------------------

def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def activations(z: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """name -> (g(z), g′(z)); ReLU′ is undefined at 0 (NaN there)."""
    s, t = sigmoid(z), np.tanh(z)
    relu_slope = np.where(z > 0, 1.0, 0.0)
    relu_slope[z == 0] = np.nan
    return {"sigmoid": (s, s * (1 - s)), "tanh": (t, 1 - t**2),
            "relu": (np.maximum(z, 0), relu_slope)}


def mse(a, b, x, y):
    """Mean squared error of the line y = a·x + b; a and b may be grids."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    residuals = a[..., None] * x + b[..., None] - y
    return np.mean(residuals**2, axis=-1)


def descend(x, y, eta: float, steps: int, start=DESCENT_START) -> np.ndarray:
    """Gradient descent on the MSE of y = a·x + b: the path (steps + 1, 2) of (a, b)."""
    theta = np.array(start, dtype=float)
    path = [theta]
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging path may overflow
        for _ in range(steps):
            residuals = theta[0] * x + theta[1] - y
            gradient = 2 * np.array([np.mean(residuals * x), np.mean(residuals)])
            theta = theta - eta * gradient
            path.append(theta)
    return np.array(path)


def normal_equation(x, y) -> np.ndarray:
    """The exact least-squares (a, b): the solution of the normal equation, solved stably."""
    X = np.c_[x, np.ones_like(x)]
    return np.linalg.lstsq(X, y, rcond=None)[0]


def best_linear_split(points, labels, angles: int = 360):
    """The best line for accuracy, searched over every direction and threshold.

    Returns (w, b, accuracy): class 1 where w·x + b ≥ 0. Among lines of equal accuracy,
    the one farthest from its nearest point (the widest margin) is kept.
    """
    best = (-1.0, -1.0, None, None)
    for angle in np.arange(angles) * 2 * np.pi / angles:
        w = np.array([np.cos(angle), np.sin(angle)])
        projection = points @ w
        cuts = np.unique(projection)
        # Between two neighbours, or beyond the ends: every distinct split of the points.
        thresholds = np.r_[cuts[0] - 1, (cuts[:-1] + cuts[1:]) / 2, cuts[-1] + 1]
        for c in thresholds:
            accuracy = np.mean((projection >= c) == (labels == 1))
            margin = np.min(np.abs(projection - c))
            if (accuracy, margin) > best[:2]:
                best = (accuracy, margin, w, -c)
    return best[2], best[3], best[0]


def train_xor_network(points, labels, hidden: int, steps: int, rng):
    """One hidden tanh layer and a sigmoid output, trained by full-batch gradient descent
    on the binary cross-entropy. Inputs are centred (2x − 1), as one normalises data.
    Returns a function points (m, 2) -> probability of class 1."""
    W1 = rng.normal(0, 1, (2, hidden))
    b1 = np.zeros(hidden)
    W2 = rng.normal(0, 1, hidden)
    b2 = 0.0
    X = 2 * points - 1
    for _ in range(steps):
        h = np.tanh(X @ W1 + b1)
        p = sigmoid(h @ W2 + b2)
        delta2 = (p - labels) / len(labels)  # ∂L/∂z2 for the cross-entropy
        delta1 = np.outer(delta2, W2) * (1 - h**2)
        W2, b2 = W2 - h.T @ delta2, b2 - delta2.sum()  # learning rate 1
        W1, b1 = W1 - X.T @ delta1, b1 - delta1.sum(axis=0)
    return lambda q: sigmoid(np.tanh((2 * np.asarray(q) - 1) @ W1 + b1) @ W2 + b2)


def graph_forward(v: dict[str, float]) -> dict[str, float]:
    """Values of the nodes of ŷ = w2·ReLU(w1·x + b1) + b2 and ℓ = ½(ŷ − y)²."""
    z1 = v["w1"] * v["x"] + v["b1"]
    a1 = max(z1, 0.0)
    y_hat = v["w2"] * a1 + v["b2"]
    return {"z1": z1, "a1": a1, "y_hat": y_hat, "loss": 0.5 * (y_hat - v["y"]) ** 2}


def graph_backward(v: dict[str, float]) -> dict[str, float]:
    """∂ℓ/∂(node) for every node and parameter, by the chain rule from the loss back."""
    f = graph_forward(v)
    d_y_hat = f["y_hat"] - v["y"]
    d_a1 = d_y_hat * v["w2"]
    d_z1 = d_a1 * (1.0 if f["z1"] > 0 else 0.0)  # ReLU′
    return {"loss": 1.0, "y_hat": d_y_hat, "w2": d_y_hat * f["a1"], "b2": d_y_hat,
            "a1": d_a1, "z1": d_z1, "w1": d_z1 * v["x"], "b1": d_z1}


def softmax(z) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max())  # shifted: same result, no overflow for large logits
    return e / e.sum()


# --- The run: every number, no drawing ------------------------------------------------

def run(config: Config, ctx: RunContext) -> Result:
    data, extra, metrics = {}, {}, {}
    for k, part in enumerate((_activation_data, _descent_data, _fitting_data, _neuron_data,
                              _xor_data, _graph_data, _margin_data, _softmax_data,
                              _scaling_data, _svm_data)):
        # One random stream per figure: changing one never changes the others.
        rng = np.random.default_rng([config.seed, k])
        part_data, part_extra, part_metrics = part(config, rng)
        data.update(part_data)
        extra.update(part_extra)
        metrics.update(part_metrics)
    return Result(metrics=metrics, data=data, extra=extra)


def _activation_data(config, rng):
    z = np.linspace(-4, 4, 801)  # z = 0 is on the grid
    functions = activations(z)
    data = {"activation_z": z}
    for name, (value, slope) in functions.items():
        data[f"activation_{name}"] = value
        data[f"activation_{name}_slope"] = slope
    return data, {}, {"sigmoid_slope_max": float(np.nanmax(functions["sigmoid"][1]))}


def _descent_data(config, rng):
    # x on a fixed grid: the curvature of the loss, hence the divergence threshold of the
    # learning rate, does not depend on the seed; only the noise does.
    x = np.linspace(0, 2, config.regression_points)
    y = TRUE_LINE[0] * x + TRUE_LINE[1] + rng.normal(0, 0.4, x.size)
    optimum = normal_equation(x, y)
    # The MSE is quadratic: its Hessian 2/n·XᵀX is constant, and the descent diverges as
    # soon as η > 2 / (its largest eigenvalue).
    X = np.c_[x, np.ones_like(x)]
    limit = 2 / np.linalg.eigvalsh(2 / x.size * X.T @ X).max()
    a = np.linspace(optimum[0] - 2.5, optimum[0] + 2.5, 121)
    b = np.linspace(optimum[1] - 3.5, optimum[1] + 3.5, 121)
    data = {"descent_x": x, "descent_y": y, "descent_optimum": optimum,
            "descent_grid_a": a, "descent_grid_b": b,
            "descent_grid_loss": mse(a[None, :], b[:, None], x, y)}  # [j, i] = L(a_i, b_j)
    for k, eta in enumerate(LEARNING_RATES.values()):
        path = descend(x, y, eta, config.descent_steps)
        data[f"descent_path_{k}"] = path
        data[f"descent_loss_{k}"] = mse(path[:, 0], path[:, 1], x, y)
    extra = {"descent_learning_rates": dict(LEARNING_RATES),
             "descent_optimum_loss": float(mse(*optimum, x, y))}
    return data, extra, {"learning_rate_limit": limit}


def _true_curve(x):
    return np.sin(2 * np.pi * x)


def _fitting_data(config, rng):
    # Evenly spaced training points: the validation points fall between them, never
    # beyond, so a high validation error is over-fitting, not extrapolation.
    x = np.linspace(0, 1, config.fitting_points)
    y = _true_curve(x) + rng.normal(0, 0.25, x.size)
    x_val = rng.uniform(0, 1, config.validation_points)
    y_val = _true_curve(x_val) + rng.normal(0, 0.25, x_val.size)
    grid = np.linspace(0, 1, 400)
    data = {"fit_x": x, "fit_y": y, "fit_x_val": x_val, "fit_y_val": y_val, "fit_grid": grid,
            "fit_true": _true_curve(grid)}
    metrics = {}
    for d in DEGREES:
        # Polynomial.fit rescales x to [−1, 1]: least squares stay well conditioned at 15.
        poly = np.polynomial.Polynomial.fit(x, y, d)
        data[f"fit_curve_{d}"] = poly(grid)
        metrics[f"fit_train_error_{d}"] = float(np.mean((poly(x) - y) ** 2))
        metrics[f"fit_validation_error_{d}"] = float(np.mean((poly(x_val) - y_val) ** 2))
    return data, {"fit_degrees": list(DEGREES)}, metrics


def _neuron_data(config, rng):
    x1 = np.linspace(-2, 3, 201)
    x2 = np.linspace(-2, 4, 241)
    w, b = np.array(NEURON["w"]), NEURON["b"]
    z = w[0] * x1[None, :] + w[1] * x2[:, None] + b
    data = {"neuron_x1": x1, "neuron_x2": x2, "neuron_p": sigmoid(z),
            "neuron_p_steep": sigmoid(STEEPER * z)}
    extra = {"neuron": {"w": list(NEURON["w"]), "b": NEURON["b"], "x": list(NEURON["x"]),
                        "steeper": STEEPER}}
    output = float(sigmoid(w @ np.array(NEURON["x"]) + b))
    return data, extra, {"neuron_example_output": output}


def _xor_data(config, rng):
    points = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    labels = np.array([0, 1, 1, 0], dtype=float)
    w, b, linear_accuracy = best_linear_split(points, labels)
    network = train_xor_network(points, labels, config.xor_hidden_units, config.xor_steps, rng)
    grid = np.linspace(-0.5, 1.5, 161)
    g1, g2 = np.meshgrid(grid, grid)
    p_grid = network(np.c_[g1.ravel(), g2.ravel()]).reshape(g1.shape)
    network_accuracy = float(np.mean((network(points) >= 0.5) == (labels == 1)))
    data = {"xor_points": points, "xor_labels": labels, "xor_line_w": w,
            "xor_line_b": np.array([b]), "xor_grid": grid, "xor_network_p": p_grid,
            "xor_network_on_points": network(points)}
    extra = {"xor_hidden_units": config.xor_hidden_units}
    return data, extra, {"xor_linear_accuracy": float(linear_accuracy),
                      "xor_network_accuracy": network_accuracy}


def _graph_data(config, rng):
    return {}, {"graph": {"inputs": dict(GRAPH_INPUTS), "values": graph_forward(GRAPH_INPUTS),
                          "gradients": graph_backward(GRAPH_INPUTS)}}, {}


def _margin_data(config, rng):
    m = np.linspace(-3, 3, 601)
    zero_one = np.where(m < 0, 1.0, 0.0)
    zero_one[m == 0] = np.nan  # the step: undefined exactly on the boundary
    return {"margin": m, "margin_hinge": np.maximum(0, 1 - m),
            "margin_logistic": np.logaddexp(0, -m), "margin_zero_one": zero_one}, {}, {}


def scaling_descent(x, y, steps: int, start=(0.0, 0.0)):
    """Gradient descent on the MSE of y = a·x + b with the rule η = 1 / (2 λmax), λmax the
    largest eigenvalue of the Hessian 2/n·XᵀX: (path, losses, minimum loss, condition
    number λmax / λmin)."""
    X = np.c_[x, np.ones_like(x)]
    eigenvalues = np.linalg.eigvalsh(2 / x.size * X.T @ X)
    eta = 1 / (2 * eigenvalues.max())
    path = descend(x, y, eta, steps, start)
    optimum = normal_equation(x, y)
    return (path, mse(path[:, 0], path[:, 1], x, y), float(mse(*optimum, x, y)),
            float(eigenvalues.max() / eigenvalues.min()))


def _steps_to_converge(x, y, limit: int = 1_000_000) -> int:
    """Steps of `scaling_descent`'s rule until the loss gap falls below SCALING_TOLERANCE
    of its starting value (the gap shrinks geometrically: computed in closed form along
    the Hessian's eigenvectors, then checked)."""
    X = np.c_[x, np.ones_like(x)]
    H = 2 / x.size * X.T @ X
    values, vectors = np.linalg.eigh(H)
    eta = 1 / (2 * values.max())
    delta = vectors.T @ (np.zeros(2) - normal_equation(x, y))  # start (0, 0) in eigenbasis
    gap0 = 0.5 * np.sum(values * delta ** 2)
    factors = (1 - eta * values) ** 2
    for step in range(1, limit):
        if 0.5 * np.sum(values * delta ** 2 * factors ** step) < SCALING_TOLERANCE * gap0:
            return step
    return limit


def _scaling_data(config, rng):
    x = np.linspace(*SCALING_X, config.regression_points)
    y = SCALING_LINE[0] * x + SCALING_LINE[1] + rng.normal(0, 0.5, x.size)
    z = (x - x.mean()) / x.std()  # standardised: mean 0, standard deviation 1
    data, metrics = {"scaling_x": x, "scaling_z": z, "scaling_y": y}, {}
    for name, values in (("raw", x), ("standardised", z)):
        path, losses, lowest, condition = scaling_descent(values, y, SCALING_STEPS)
        optimum = normal_equation(values, y)
        # The same span on both axes, drawn at equal scale: a round bowl looks round.
        span = max(abs(path - optimum).max(), 0.2) * 1.15
        a = np.linspace(optimum[0] - span, optimum[0] + span, 161)
        b = np.linspace(optimum[1] - span, optimum[1] + span, 161)
        data.update({f"scaling_{name}_path": path, f"scaling_{name}_loss": losses,
                     f"scaling_{name}_optimum": optimum, f"scaling_{name}_grid_a": a,
                     f"scaling_{name}_grid_b": b,
                     f"scaling_{name}_grid_loss": mse(a[None, :], b[:, None], values, y)})
        metrics[f"scaling_condition_{name}"] = condition
        metrics[f"scaling_steps_{name}"] = _steps_to_converge(values, y)
        data[f"scaling_{name}_lowest"] = np.array(lowest)
    return data, {}, metrics


def linear_svm(points, labels, c: float):
    """A linear SVM (scikit-learn's SVC, exact solver): (w, b, support indices, dual
    coefficients |α|), labels 0/1 read as −1/+1."""
    from sklearn.svm import SVC

    model = SVC(kernel="linear", C=c, tol=1e-6).fit(points, 2 * labels - 1)
    return (model.coef_[0], float(model.intercept_[0]), model.support_,
            np.abs(model.dual_coef_[0]))


def _svm_data(config, rng):
    data, metrics = {}, {}
    for name, spread in SVM_SPREAD.items():
        points = np.concatenate([rng.normal(center, spread, (SVM_POINTS, 2))
                                 for center in SVM_CENTERS])
        labels = np.repeat([0, 1], SVM_POINTS)
        w, b, support, alpha = linear_svm(points, labels, SVM_C[name])
        margin = (2 * labels - 1) * (points @ w + b)  # y·f(x)
        key = "hard" if name == "dure" else "soft"
        data.update({f"svm_{key}_points": points, f"svm_{key}_labels": labels,
                     f"svm_{key}_w": w, f"svm_{key}_b": np.array(b),
                     f"svm_{key}_support": support, f"svm_{key}_alpha": alpha,
                     f"svm_{key}_margin": margin})
        metrics[f"svm_support_{key}"] = len(support)
        if key == "hard":
            metrics["svm_width_hard"] = float(2 / np.linalg.norm(w))
        else:
            metrics["svm_inside_soft"] = int(np.sum(margin < 1 - 1e-6))
    return data, {}, metrics


def _softmax_data(config, rng):
    p = softmax(SOFTMAX_LOGITS)
    target = np.eye(len(p))[SOFTMAX_TRUE_CLASS]
    metrics = {f"softmax_probability_{k + 1}": float(v) for k, v in enumerate(p)}
    metrics["softmax_cross_entropy"] = float(-np.log(p[SOFTMAX_TRUE_CLASS]))
    extra = {"softmax": {"classes": list(SOFTMAX_CLASSES), "logits": list(SOFTMAX_LOGITS),
                         "true_class": SOFTMAX_TRUE_CLASS}}
    return {"softmax_p": p, "softmax_gradient": p - target}, extra, metrics


# --- Drawing helpers --------------------------------------------------------------------

def _fr(value: float, digits: int = 2) -> str:
    """A number as written in the figures: decimal comma, true minus sign."""
    return frenchfmt.number(value, digits)


def _short(value: float) -> str:
    """A computed number, shortest exact-looking form: 0.5 -> "0,5", -2.0 -> "−2"."""
    return frenchfmt.short(value, 4) if abs(value) < 1e4 else frenchfmt.number(value, 0)


def _until_outside(path, window):
    """The path up to its first point outside the window (a0, a1, b0, b1), included."""
    a0, a1, b0, b1 = window
    outside = ~((path[:, 0] >= a0) & (path[:, 0] <= a1) & (path[:, 1] >= b0)
                & (path[:, 1] <= b1))
    return path[: int(np.argmax(outside)) + 1] if outside.any() else path


def _probability_shading(ax, x1, x2, p, levels=(0.1, 0.25, 0.75, 0.9), label_row=None,
                         labels=True):
    """A probability map in the colours of the two classes, with its level lines and
    the boundary p = 0,5 in black; returns the shading for a colour bar. The level
    values are written where the lines cross the grid row `label_row`, if given."""
    shading = ax.contourf(x1, x2, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.45)
    lines = ax.contour(x1, x2, p, levels=list(levels), colors="#555555", linewidths=0.6)
    manual = None
    if label_row is not None:
        manual = [(x1[np.argmin(np.abs(p[label_row] - level))], x2[label_row])
                  for level in levels]
    if labels:
        ax.clabel(lines, fmt=lambda v: _fr(v, 2).rstrip("0"), fontsize=7, manual=manual)
    ax.contour(x1, x2, p, levels=[0.5], colors="black", linewidths=1.8)
    return shading


def _class_points(ax, points, labels, size=90):
    for label, marker in ((0, "o"), (1, "^")):
        chosen = labels == label
        ax.scatter(points[chosen, 0], points[chosen, 1], s=size, marker=marker,
                   color=plots.COLORS[label], edgecolors="white", linewidths=1.2, zorder=3,
                   label=f"classe {label}")


# --- Figures: drawn from the stored result only -----------------------------------------

def figure_activations(result: Result) -> str:
    d = result.data
    z = d["activation_z"]
    names = {"sigmoid": "sigmoïde σ", "tanh": "tangente hyperbolique tanh", "relu": "ReLU"}
    fig, (left, right) = plots.new_figure(8.4, 3.8, ncols=2)
    for color, (key, label) in zip(plots.COLORS, names.items()):
        left.plot(z, d[f"activation_{key}"], color=color, linewidth=2, label=label)
        slope = d[f"activation_{key}_slope"]
        if key == "relu":  # a jump at 0: two pieces, open ends, value undefined at 0
            for side in (z < 0, z > 0):
                right.plot(z[side], slope[side], color=color, linewidth=2,
                           label=label + "′" if side[-1] else None)
            right.plot([0, 0], [0, 1], "o", color=color, markerfacecolor="white",
                       markersize=5, zorder=3)
        else:
            right.plot(z, slope, color=color, linewidth=2, label=label + "′")
    peak = result.metrics["sigmoid_slope_max"]
    right.axhline(peak, color="#777777", linestyle=":", linewidth=1)
    right.annotate(f"σ′ ne dépasse jamais {_fr(peak, 2)}", (-4, peak), xytext=(2, 4),
                   textcoords="offset points", fontsize=8, color="#555555")
    left.set(title="Fonctions d'activation g(z)", xlabel="z (somme pondérée)",
             ylabel="g(z)", ylim=(-1.2, 2.6))
    right.set(title="Leurs dérivées g′(z)", xlabel="z (somme pondérée)",
              ylabel="g′(z)", ylim=(-0.08, 1.15))
    for ax in (left, right):
        ax.axhline(0, color="black", linewidth=0.6)
        ax.axvline(0, color="black", linewidth=0.6)
        ax.legend(fontsize=8, loc="upper left")
    plots.french_axes(left, right)
    return plots.to_svg(fig)


def figure_loss_surface(result: Result) -> str:
    d = result.data
    a, b, loss = d["descent_grid_a"], d["descent_grid_b"], d["descent_grid_loss"]
    rates = result.extra["descent_learning_rates"]
    fig, (left, right) = plots.new_figure(8.4, 4.4, ncols=2, width_ratios=(1.1, 1))
    low = loss.min()
    levels = low + (loss.max() - low) * np.geomspace(2e-3, 1, 14)
    left.contour(a, b, loss, levels=levels, colors="#9a9a9a", linewidths=0.7)
    colors = (plots.COLORS[2], plots.COLORS[0], plots.COLORS[1])
    labels = [f"η = {_short(eta)} : {name}" for name, eta in rates.items()]
    window = (a.min(), a.max(), b.min(), b.max())
    for k, (color, label) in enumerate(zip(colors, labels)):
        path = _until_outside(d[f"descent_path_{k}"], window)
        # The small steps crawl along the first part of the others' path: drawn on top.
        left.plot(path[:, 0], path[:, 1], "-", color=color, zorder=3 if k == 0 else 2,
                  linewidth=2.4 if k == 0 else 1.2, marker=None if k == 0 else "o",
                  markersize=2.5)
        losses = d[f"descent_loss_{k}"]
        right.plot(np.arange(len(losses)), losses, color=color, linewidth=1.6,
                   label=label)
    start = d["descent_path_0"][0]
    left.plot(*start, "s", color="black", markersize=6, label="départ")
    left.plot(*d["descent_optimum"], marker="*", markersize=14, color="black",
              linestyle="none", label="minimum (équation normale)")
    left.set(title="Courbes de niveau et trajets", xlabel="pente a",
             ylabel="ordonnée à l'origine b", xlim=(a.min(), a.max()), ylim=(b.min(), b.max()))
    left.legend(fontsize=8, loc="lower left")
    right.axhline(result.extra["descent_optimum_loss"], color="black", linestyle="--",
                  linewidth=1, label="perte minimale")
    right.set_yscale("log")
    # A diverging loss grows without bound: the scale stops where the story is told.
    first = d["descent_loss_0"][0]
    right.set_ylim(top=min(right.get_ylim()[1], 1e3 * first))
    right.set(title="Perte à chaque étape", xlabel="étape de la descente",
              ylabel="perte (erreur quadratique moyenne)")
    right.legend(fontsize=8, loc="upper right")
    right.xaxis.set_major_locator(plots.matplotlib.ticker.MaxNLocator(integer=True,
                                                                      steps=[1, 2, 5, 10]))
    plots.french_axes(left)
    plots.french_axes(right, y=False)
    return plots.to_svg(fig)


def figure_under_over_fitting(result: Result) -> str:
    d, m = result.data, result.metrics
    verdicts = {0: "sous-apprentissage", 1: "bon compromis", 2: "sur-apprentissage"}
    degrees = result.extra["fit_degrees"]
    fig, axes = plots.new_figure(8.4, 3.9, ncols=len(degrees), sharey=True)
    for k, (ax, degree) in enumerate(zip(axes, degrees)):
        ax.plot(d["fit_grid"], d["fit_true"], "--", color="#777777", linewidth=1,
                label="fonction d'origine")
        ax.scatter(d["fit_x_val"], d["fit_y_val"], s=8, color=plots.COLORS[5], alpha=0.5,
                   linewidths=0, label="points de validation")
        ax.scatter(d["fit_x"], d["fit_y"], s=22, color=plots.COLORS[0], zorder=3,
                   label="points d'entraînement")
        ax.plot(d["fit_grid"], d[f"fit_curve_{degree}"], color=plots.COLORS[1], linewidth=2,
                label="polynôme ajusté")
        ax.set_title(f"degré {degree} : {verdicts.get(k, '')}\n"
                     f"erreur d'entraînement {_fr(m[f'fit_train_error_{degree}'], 3)}\n"
                     f"erreur de validation {_fr(m[f'fit_validation_error_{degree}'], 3)}",
                     fontsize=9)
        ax.set(xlabel="x", ylim=(-2, 2))
        plots.french_axes(ax)
    axes[0].set_ylabel("y")
    axes[0].legend(fontsize=7, loc="lower left")
    return plots.to_svg(fig)


def figure_sigmoid_boundary(result: Result) -> str:
    d, neuron = result.data, result.extra["neuron"]
    x1, x2 = d["neuron_x1"], d["neuron_x2"]
    w, b, example = np.array(neuron["w"]), neuron["b"], neuron["x"]
    k = neuron["steeper"]
    fig, axes = plots.new_figure(8.4, 4.5, ncols=2)
    for ax, key, scale in ((axes[0], "neuron_p", 1.0), (axes[1], "neuron_p_steep", k)):
        ax.grid(False)
        # Level values written along x₂ = 0, where the lines are apart (not on the
        # steeper panel: there they are too close to be labelled).
        shading = _probability_shading(ax, x1, x2, d[key], label_row=np.argmin(np.abs(x2)),
                                       labels=scale == 1)
        ws, bs = scale * w, scale * b
        title = f"w = ({_short(ws[0])} ; {_short(ws[1])}), b = {_short(bs)}"
        if scale != 1:
            title = (f"w et b multipliés par {_short(scale)} : {title}\n"
                     "même frontière, passage plus brutal")
        ax.set_title(title, fontsize=10)
        # w is perpendicular to the boundary and points towards ŷ > 0,5.
        corner = np.array([0.5, 1.5])
        foot = corner - (w @ corner + b) / (w @ w) * w  # the nearest point of the boundary
        tip = foot + w / np.linalg.norm(w)
        ax.annotate("", tip, foot, arrowprops={"arrowstyle": "-|>", "color": "black",
                                               "linewidth": 1.5})
        ax.text(*(tip + [0.08, 0.05]), "w", fontsize=11, fontweight="bold")
        p_example = 1 / (1 + np.exp(-scale * (w @ example + b)))
        ax.plot(*example, "^", markersize=10, color=plots.COLORS[1], markeredgecolor="white",
                zorder=3)
        ax.annotate(f"x = (1 ; 3), classe 1\nŷ = {_fr(p_example, 3)}", example,
                    xytext=(-10, 0), textcoords="offset points", fontsize=8, ha="right",
                    va="center", bbox={"boxstyle": "round,pad=0.3", "facecolor": "white",
                                       "edgecolor": "none", "alpha": 0.85})
        ax.plot([], [], color="black", linewidth=1.8, label="frontière ŷ = 0,5")
        ax.legend(fontsize=8, loc="lower right")
        ax.set(xlabel="x₁", ylabel="x₂", aspect="equal")  # w looks perpendicular
        plots.french_axes(ax)
    bar = fig.colorbar(shading, ax=axes, shrink=0.9)
    bar.set_label("sortie du neurone ŷ = σ(w₁x₁ + w₂x₂ + b)")
    plots.french_axes(bar.ax)
    return plots.to_svg(fig)


def figure_xor(result: Result) -> str:
    d, m = result.data, result.metrics
    points, labels = d["xor_points"], d["xor_labels"]
    grid = d["xor_grid"]
    w, b = d["xor_line_w"], float(d["xor_line_b"][0])
    fig, (left, right) = plots.new_figure(8.4, 4.3, ncols=2)
    # Left: the best single line; its side "class 1" lightly shaded.
    g1, g2 = np.meshgrid(grid, grid)
    side = (w[0] * g1 + w[1] * g2 + b >= 0).astype(float)
    left.contourf(grid, grid, side, levels=[-0.5, 0.5, 1.5],
                  colors=[plots.COLORS[0], plots.COLORS[1]], alpha=0.15)
    # The line w·x + b = 0 itself, drawn exactly (not from the grid); w is a unit vector.
    along = np.array([-w[1], w[0]])
    ends = -b * w + np.outer([-5, 5], along)
    left.plot(ends[:, 0], ends[:, 1], color="black", linewidth=1.8)
    wrong = (points @ w + b >= 0) != (labels == 1)
    left.scatter(points[wrong, 0], points[wrong, 1], s=420, facecolors="none",
                 edgecolors="black", linewidths=1.2, linestyle="--", zorder=2)
    left.plot([], [], "o", markerfacecolor="none", markeredgecolor="black", markersize=9,
              linestyle="none", label="point mal classé")
    left.set_title(f"Un neurone seul, la meilleure droite :\n"
                   f"{round(m['xor_linear_accuracy'] * 4)} points sur 4 bien classés "
                   f"({frenchfmt.percent(m['xor_linear_accuracy'], 0)})", fontsize=10)
    # Right: the two-layer network.
    right.grid(False)
    shading = _probability_shading(right, grid, grid, d["xor_network_p"])
    right.set_title(f"Deux couches, {result.extra['xor_hidden_units']} neurones cachés :\n"
                    f"{round(m['xor_network_accuracy'] * 4)} points sur 4 bien classés "
                    f"({frenchfmt.percent(m['xor_network_accuracy'], 0)})", fontsize=10)
    for ax in (left, right):
        ax.grid(False)
        _class_points(ax, points, labels)
        ax.plot([], [], color="black", linewidth=1.8, label="frontière de décision")
        ax.set(xlabel="x₁", ylabel="x₂", xlim=(grid[0], grid[-1]), ylim=(grid[0], grid[-1]),
               aspect="equal")
        ax.legend(fontsize=7, loc="lower left", framealpha=0.9)
        plots.french_axes(ax)
    bar = fig.colorbar(shading, ax=right, shrink=0.85)
    bar.set_label("probabilité prédite de la classe 1")
    plots.french_axes(bar.ax)
    return plots.to_svg(fig)


# Layout of the computational graph: node -> (x, y, title) in axes units. Parameters
# sit above and below, between the columns, so that no arrow crosses a box.
_GRAPH_NODES = {
    "x": (0.95, 2.0, "x (entrée)"), "w1": (2.3, 3.75, "w₁"), "b1": (2.3, 0.25, "b₁"),
    "z1": (4.3, 2.0, "z₁ = w₁x + b₁"), "a1": (7.0, 2.0, "a₁ = ReLU(z₁)"),
    "w2": (8.75, 3.75, "w₂"), "b2": (8.75, 0.25, "b₂"),
    "y_hat": (10.5, 2.0, "ŷ = w₂a₁ + b₂"), "y": (12.4, 3.75, "y (attendu)"),
    "loss": (13.2, 2.0, "ℓ = ½(ŷ − y)²"),
}
_GRAPH_EDGES = (("x", "z1"), ("w1", "z1"), ("b1", "z1"), ("z1", "a1"), ("a1", "y_hat"),
                ("w2", "y_hat"), ("b2", "y_hat"), ("y_hat", "loss"), ("y", "loss"))
_GRAPH_NAMES = {"z1": "z₁", "a1": "a₁", "y_hat": "ŷ", "w1": "w₁", "b1": "b₁", "w2": "w₂",
                "b2": "b₂"}


def _box_edge(center, half, toward):
    """Where the segment from the centre of a box towards `toward` leaves the box."""
    direction = np.subtract(toward, center)
    scale = min(half[0] / abs(direction[0]) if direction[0] else np.inf,
                half[1] / abs(direction[1]) if direction[1] else np.inf)
    return tuple(np.add(center, scale * direction))


def figure_computational_graph(result: Result) -> str:
    from matplotlib.patches import FancyBboxPatch

    graph = result.extra["graph"]
    values = {**graph["inputs"], **graph["values"]}
    gradients = {k: v for k, v in graph["gradients"].items() if k in _GRAPH_NAMES}
    fig, ax = plots.new_figure(8.4, 4.0)
    ax.set_axis_off()
    ax.set_xlim(-0.1, 14.5)
    half = {}
    for key, (x, y, title) in _GRAPH_NODES.items():
        operation = key in graph["values"]
        lines = [(title, "black", "normal"), (f"= {_short(values[key])}", FORWARD, "bold")]
        if key in gradients:
            lines.append((f"∂ℓ/∂{_GRAPH_NAMES[key]} = {_short(gradients[key])}", BACKWARD,
                          "bold"))
        half[key] = ((1.2 if operation else 0.9), 0.17 + 0.19 * len(lines))
        ax.add_patch(FancyBboxPatch((x - half[key][0], y - half[key][1]), 2 * half[key][0],
                                    2 * half[key][1],
                                    boxstyle="round,pad=0.02,rounding_size=0.12",
                                    facecolor="#f2f2f2" if operation else "white",
                                    edgecolor="#444444", linewidth=1))
        for k, (text, color, weight) in enumerate(lines):
            ax.text(x, y + 0.36 * ((len(lines) - 1) / 2 - k), text, ha="center", va="center",
                    fontsize=9, color=color, fontweight=weight)
    for start, end in _GRAPH_EDGES:
        a, b = _GRAPH_NODES[start][:2], _GRAPH_NODES[end][:2]
        ax.annotate("", _box_edge(b, half[end], a), _box_edge(a, half[start], b),
                    arrowprops={"arrowstyle": "-|>", "color": "#444444", "linewidth": 1,
                                "shrinkA": 1, "shrinkB": 1})
    # The two directions, in their colours, written in the free space between the boxes.
    ax.set_ylim(-0.9, 4.9)
    for y, (x0, x1), text, color, align in (
            (-0.75, (0.1, 14.3), "propagation avant : valeurs", FORWARD, "bottom"),
            (4.75, (14.3, 0.1), "rétropropagation : gradients ∂ℓ/∂·", BACKWARD, "top")):
        ax.annotate("", (x1, y), (x0, y),
                    arrowprops={"arrowstyle": "-|>", "color": color, "linewidth": 2})
        ax.text(5.65, y + (0.12 if align == "bottom" else -0.12), text, ha="center",
                va=align, color=color, fontsize=9, fontweight="bold")
    return plots.to_svg(fig)


def figure_hinge_logistic(result: Result) -> str:
    d = result.data
    m = d["margin"]
    fig, ax = plots.new_figure(6.6, 4.2)
    ax.axvspan(0, 1, color="#999999", alpha=0.15, linewidth=0, label="dans la marge")
    ax.plot(m, d["margin_zero_one"], color=plots.COLORS[6], linewidth=2,
            label="perte 0-1 (erreur de classement)")
    ax.plot(m, d["margin_hinge"], color=plots.COLORS[1], linewidth=2,
            label="perte charnière max(0, 1 − y·f(x))")
    ax.plot(m, d["margin_logistic"], color=plots.COLORS[0], linewidth=2,
            label="perte logistique log(1 + exp(−y·f(x)))")
    ax.plot([0, 0], [0, 1], "o", color=plots.COLORS[6], markerfacecolor="white",
            markersize=5, zorder=3)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.text(-0.08, 3.85, "mal classé ←", ha="right", fontsize=8)
    ax.text(0.08, 3.85, "→ bien classé", ha="left", fontsize=8)
    ax.set(title="Trois pertes en fonction de y·f(x)", xlabel="y·f(x) (marge fonctionnelle)",
           ylabel="perte", ylim=(-0.1, 4.1), xlim=(m[0], m[-1]))
    ax.legend(fontsize=8, loc="center right")
    plots.french_axes(ax)
    return plots.to_svg(fig)


def figure_softmax(result: Result) -> str:
    info, d, m = result.extra["softmax"], result.data, result.metrics
    classes, true_class = info["classes"], info["true_class"]
    names = [c + ("\n(vraie classe)" if k == true_class else "") for k, c in enumerate(classes)]
    panels = (("Logits z\n(sorties de la dernière couche)", info["logits"], None),
              ("Probabilités p = softmax(z)\n(positives, de somme 1)", d["softmax_p"], 3),
              ("Gradient ∂ℓ/∂z = p − y\n(y = 1 pour la vraie classe, 0 sinon)",
               d["softmax_gradient"], 3))
    fig, axes = plots.new_figure(8.4, 3.8, ncols=3)
    for ax, (title, values, digits) in zip(axes, panels):
        values = np.asarray(values, dtype=float)
        colors = [plots.COLORS[1] if k == true_class else plots.COLORS[0]
                  for k in range(len(values))]
        bars = ax.bar(range(len(values)), values, color=colors, width=0.6)
        ax.bar_label(bars, labels=[_short(v) if digits is None else _fr(v, digits)
                                   for v in values], padding=2, fontsize=9)
        ax.grid(axis="x", visible=False)
        ax.set_axisbelow(True)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xticks(range(len(values)), names, fontsize=8)
        low, high = min(0.0, values.min()), max(0.0, values.max())
        ax.set_ylim(low - 0.15 * (high - low), high + 0.18 * (high - low))
        ax.set_title(title, fontsize=10)
        plots.french_axes(ax, x=False)
    p_true = m[f"softmax_probability_{true_class + 1}"]
    fig.suptitle(f"Entropie croisée pour la vraie classe « {classes[true_class]} » : "
                 f"ℓ = −log p({classes[true_class]}) = −log {_fr(p_true, 3)} = "
                 f"{_fr(m['softmax_cross_entropy'], 3)}",
                 fontsize=11)
    return plots.to_svg(fig)


def figure_feature_scaling(result: Result) -> str:
    d, m = result.data, result.metrics
    fig, grid = plots.new_figure(8.4, 7.2, nrows=2, ncols=2, height_ratios=(1.25, 1))
    for ax in grid[1]:
        ax.remove()
    axes = [grid[0, 0], grid[0, 1], fig.add_subplot(grid[1, 0].get_gridspec()[1, :])]
    titles = {"raw": "Variable brute x (de 5 à 15)",
              "standardised": "Variable standardisée (x − μ) / σ"}
    colors = {"raw": plots.COLORS[1], "standardised": plots.COLORS[0]}
    for ax, name in zip(axes[:2], ("raw", "standardised")):
        a, b = d[f"scaling_{name}_grid_a"], d[f"scaling_{name}_grid_b"]
        loss = d[f"scaling_{name}_grid_loss"]
        low = loss.min()
        levels = low + (loss.max() - low) * np.geomspace(1e-3, 1, 12)
        ax.contour(a, b, loss, levels=levels, colors="#9a9a9a", linewidths=0.7)
        path = d[f"scaling_{name}_path"]
        ax.plot(path[:, 0], path[:, 1], "-o", color=colors[name], markersize=2,
                linewidth=1.2, label=f"{SCALING_STEPS} pas de descente")
        ax.plot(*path[0], "s", color="black", markersize=5, label="départ a = b = 0")
        ax.plot(*d[f"scaling_{name}_optimum"], marker="*", markersize=12, color="black",
                linestyle="none", label="minimum")
        condition = m[f"scaling_condition_{name}"]
        ax.set(title=f"{titles[name]}\nconditionnement {_fr(condition, 0)}",
               xlabel="pente a", ylabel="ordonnée à l'origine b", aspect="equal",
               xlim=(a.min(), a.max()), ylim=(b.min(), b.max()))
        ax.legend(fontsize=7, loc="upper right")
        plots.french_axes(ax)
    right = axes[2]
    for name, label in (("raw", "variable brute"), ("standardised", "variable standardisée")):
        gap = d[f"scaling_{name}_loss"] - float(d[f"scaling_{name}_lowest"])
        right.plot(np.arange(len(gap)), np.maximum(gap, 1e-12), color=colors[name],
                   linewidth=1.6, label=label)
    right.set_yscale("log")
    right.set(title="Écart à la perte minimale", xlabel="pas de la descente",
              ylabel="perte − perte minimale", ylim=(1e-6, None))
    right.legend(fontsize=8, loc="center right")
    plots.french_axes(right, y=False)
    return plots.to_svg(fig)


def figure_svm_margin(result: Result) -> str:
    d, m = result.data, result.metrics
    fig, axes = plots.new_figure(8.4, 5.2, ncols=2)
    for ax, key, title in ((axes[0], "hard", "Marge dure : classes séparables"),
                           (axes[1], "soft", "Marge souple (C = 1) : classes mêlées")):
        points, labels = d[f"svm_{key}_points"], d[f"svm_{key}_labels"]
        w, b = d[f"svm_{key}_w"], float(d[f"svm_{key}_b"])
        margin = d[f"svm_{key}_margin"]
        lim = (-3.2, 3.2)
        grid = np.linspace(*lim, 201)
        gx, gy = np.meshgrid(grid, grid)
        f = w[0] * gx + w[1] * gy + b
        ax.contourf(gx, gy, f, levels=[-1, 1], colors=["#bbbbbb"], alpha=0.35)
        ax.contour(gx, gy, f, levels=[-1, 0, 1], colors=["#555555", "black", "#555555"],
                   linestyles=["--", "-", "--"], linewidths=[1, 1.6, 1])
        _class_points(ax, points, labels, size=36)
        support = d[f"svm_{key}_support"]
        on_edge = [i for i in support if abs(margin[i] - 1) < 1e-3]
        inside = [i for i in support if margin[i] < 1 - 1e-3]
        ax.scatter(points[on_edge, 0], points[on_edge, 1], s=150, facecolors="none",
                   edgecolors="black", linewidths=1.4, zorder=4,
                   label=f"vecteurs de support sur le bord ({len(on_edge)})")
        if inside:
            ax.scatter(points[inside, 0], points[inside, 1], s=150, facecolors="none",
                       edgecolors=plots.COLORS[1], linewidths=1.4, zorder=4,
                       label=f"dans la marge ou mal classés ({len(inside)})")
        ax.set(title=title, xlabel="x₁", ylabel="x₂", xlim=lim, ylim=lim, aspect="equal")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14))
        plots.french_axes(ax)
    axes[0].text(-3.0, 2.85, f"largeur 2 / ‖w‖ = {_fr(m['svm_width_hard'], 2)}", fontsize=8)
    return plots.to_svg(fig)
