"""RETRO : la rétropropagation du gradient, écrite à la main et vérifiée.

Un réseau à deux couches (une couche cachée tanh, une sortie sigmoïde) est écrit
en NumPy, sans bibliothèque d'apprentissage : propagation avant, perte
(entropie croisée binaire), propagation arrière du gradient couche par couche
(règle de dérivation en chaîne), mise à jour des poids. Ses gradients, calculés en
nombres à virgule flottante de 64 bits, sont comparés à ceux que calcule la
différentiation automatique de Keras pour le même réseau et les mêmes poids (en 64
bits avec TensorFlow ; JAX et PyTorch, eux, ramènent les nombres de 64 bits de Keras
à 32 bits, et l'exemple enregistre la précision utilisée), et à des différences
finies. Le réseau apprend ensuite à séparer deux « lunes »
entrelacées, ce qu'un neurone seul ne sait pas faire.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fidle_examples.core import plots
from fidle_examples.core.context import RunContext
from fidle_examples.core.contract import Metric
from fidle_examples.core.results import Result

NAME = "backpropagation"
DATASETS = ()  # synthetic data, drawn at run time


@dataclass(frozen=True)
class Config:
    n_points: int = 400
    noise: float = 0.15
    hidden_units: int = 16
    epochs: int = 2000
    learning_rate: float = 0.5
    epsilon: float = 1e-6  # the step h of the finite differences
    seed: int = 42


PROFILES = {
    "full": Config(),
    "quick": Config(epochs=300),
}

METRICS = {
    "autodiff_error": Metric("Erreur relative maximale par rapport à la différentiation "
                             "automatique de Keras", "scientific", 1),
    "finite_difference_error": Metric("Erreur relative maximale par rapport aux différences "
                                      "finies", "scientific", 1),
    "keras_bits": Metric("Précision des calculs de Keras (bits)", "integer"),
    "parameters": Metric("Paramètres du réseau", "integer"),
    "initial_loss": Metric("Perte initiale"),
    "final_loss": Metric("Perte finale"),
    "train_accuracy": Metric("Exactitude sur les points d'entraînement", "percent", 1),
    "test_accuracy": Metric("Exactitude sur d'autres points tirés de la même façon", "percent", 1),
}
FIGURES = {
    "loss": "Perte par époque",
    "boundary": "Frontière de décision apprise",
}
CLAIMS = {
    "same_as_autodiff": "les gradients écrits à la main et ceux de Keras ne diffèrent que par "
                        "les arrondis des nombres avec lesquels Keras calcule\u00a0: écart "
                        "relatif sous 10⁻¹⁴ en 64 bits (TensorFlow), sous 10⁻⁵ en 32 bits "
                        "(JAX et PyTorch)",
    "finite_differences_close": "l'écart aux différences finies reste minuscule\u00a0: sous "
                                "10⁻⁶\u00a0; quand Keras calcule en 64 bits, comme le code "
                                "écrit à la main, il est plus grand que l'écart à la "
                                "différentiation automatique",
    "learns_the_moons": "le réseau apprend à séparer les deux lunes\u00a0: sa perte est divisée "
                        "par plus de dix, et il classe correctement plus de 95\u202f% des points "
                        "d'entraînement et des nouveaux points",
}


# --8<-- [start:data]
def make_moons(n: int, noise: float, rng: np.random.Generator):
    """Two interleaved half-circles: points (n, 2) and labels 0 or 1 (n,)."""
    label = rng.integers(0, 2, n)
    t = rng.uniform(0, np.pi, n)
    upper = np.c_[np.cos(t), np.sin(t)]  # class 0
    lower = np.c_[1 - np.cos(t), 0.5 - np.sin(t)]  # class 1, shifted and upside down
    x = np.where(label[:, None] == 0, upper, lower) + rng.normal(0, noise, (n, 2))
    return x - [0.5, 0.25], label.astype(np.float64)  # centred on the origin
# --8<-- [end:data]


# --8<-- [start:model]
def init_params(hidden: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Small random weights (Glorot's scale), zero biases."""
    return {"W1": rng.normal(0, np.sqrt(2 / (2 + hidden)), (2, hidden)), "b1": np.zeros(hidden),
            "W2": rng.normal(0, np.sqrt(2 / (hidden + 1)), (hidden, 1)), "b2": np.zeros(1)}


def forward(params, x):
    """Forward pass: keeps what the backward pass needs."""
    a1 = np.tanh(x @ params["W1"] + params["b1"])  # hidden layer
    z2 = a1 @ params["W2"] + params["b2"]  # output, before the sigmoid
    p = 1 / (1 + np.exp(-z2[:, 0]))  # probability of class 1
    return {"x": x, "a1": a1, "z2": z2[:, 0], "p": p}


def loss(cache, y) -> float:
    """Binary cross-entropy, averaged: −mean(y·log p + (1 − y)·log(1 − p))."""
    z = cache["z2"]  # written from z: log(1 + e^z) − y·z never takes log(0)
    return float(np.mean(np.logaddexp(0, z) - y * z))


def backward(params, cache, y) -> dict[str, np.ndarray]:
    """Backward pass: the gradient of the loss for every weight, by the chain rule."""
    n = len(y)
    delta2 = (cache["p"] - y)[:, None] / n  # ∂L/∂z2: sigmoid + cross-entropy simplify
    grads = {"W2": cache["a1"].T @ delta2, "b2": delta2.sum(axis=0)}
    delta1 = (delta2 @ params["W2"].T) * (1 - cache["a1"] ** 2)  # ∂L/∂z1; tanh' = 1 − tanh²
    grads["W1"] = cache["x"].T @ delta1
    grads["b1"] = delta1.sum(axis=0)
    return grads
# --8<-- [end:model]


# --8<-- [start:train]
def train(params, x, y, config: Config, on_epoch=None):
    """Full-batch gradient descent; returns the trained weights and the loss per epoch."""
    losses = []
    for epoch in range(1, config.epochs + 1):
        cache = forward(params, x)
        losses.append(loss(cache, y))
        grads = backward(params, cache, y)
        params = {k: params[k] - config.learning_rate * grads[k] for k in params}
        if on_epoch:
            on_epoch(epoch, losses[-1])
    return params, losses
# --8<-- [end:train]


# --8<-- [start:evaluate]
def finite_differences(params, x, y, h: float) -> dict[str, np.ndarray]:
    """Each derivative estimated as (L(θ + h) − L(θ − h)) / 2h, one weight at a time."""
    grads = {}
    for name, value in params.items():
        grads[name] = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            shifted = {k: v.copy() for k, v in params.items()}
            shifted[name][index] = value[index] + h
            plus = loss(forward(shifted, x), y)
            shifted[name][index] = value[index] - h
            minus = loss(forward(shifted, x), y)
            grads[name][index] = (plus - minus) / (2 * h)
    return grads


def keras_gradients(params, x, y) -> dict[str, np.ndarray]:
    """The same network in Keras, with the same weights: its automatic gradients."""
    import keras

    model = keras.Sequential([
        keras.Input(shape=(2,), dtype="float64"),
        keras.layers.Dense(params["b1"].size, activation="tanh", dtype="float64"),
        keras.layers.Dense(1, activation="sigmoid", dtype="float64"),
    ])
    model.set_weights([params["W1"], params["b1"], params["W2"], params["b2"]])
    loss_fn = keras.losses.BinaryCrossentropy(dtype="float64")  # float32 by default
    grads = autodiff(model, loss_fn, x, y[:, None])
    return dict(zip(("W1", "b1", "W2", "b2"), grads))


def relative_error(a: dict, b: dict) -> float:
    """Largest ‖a − b‖ / max(‖a‖, ‖b‖) over the weight arrays (0 = identical)."""
    return max(np.linalg.norm(a[k] - b[k]) / max(np.linalg.norm(a[k]), np.linalg.norm(b[k]),
                                                  1e-300) for k in a)
# --8<-- [end:evaluate]


def keras_float_bits() -> int:
    """The precision Keras computes the float64 network in: 64 bits on TensorFlow; on
    JAX and PyTorch, Keras's type rules turn float64 into float32 (result_type), whatever
    the layers' dtype, and JAX's 64-bit mode does not change that."""
    import keras

    return 64 if keras.backend.result_type("float64") == "float64" else 32


def autodiff(model, loss_fn, x, y) -> list[np.ndarray]:
    """Gradients of loss_fn(y, model(x)) with respect to the model's weights.

    The only backend-specific code of the examples: each Keras backend has its own
    way of differentiating. (The tests run the TensorFlow branch.)
    """
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            value = loss_fn(y, model(x))
        grads = tape.gradient(value, model.trainable_variables)
    elif backend == "jax":
        import jax

        def value_of(weights):
            fixed = [v.value for v in model.non_trainable_variables]
            out, _ = model.stateless_call(weights, fixed, x)
            return loss_fn(y, out)

        grads = jax.grad(value_of)([v.value for v in model.trainable_variables])
    elif backend == "torch":
        value = loss_fn(y, model(x))
        value.backward()
        grads = [v.value.grad for v in model.trainable_variables]
    else:
        raise NotImplementedError(f"backend {backend}")
    return [keras.ops.convert_to_numpy(g) for g in grads]


def run(config: Config, ctx: RunContext) -> Result:
    rng = np.random.default_rng(config.seed)
    x, y = make_moons(config.n_points, config.noise, rng)
    x_test, y_test = make_moons(config.n_points, config.noise, rng)
    params = init_params(config.hidden_units, rng)

    ours = backward(params, forward(params, x), y)
    autodiff_error = relative_error(ours, keras_gradients(params, x, y))
    finite_error = relative_error(ours, finite_differences(params, x, y, config.epsilon))

    trained, losses = train(params, x, y, config, on_epoch=lambda epoch, value:
                            ctx.report_epoch(epoch, config.epochs, {"loss": value}))
    ctx.check_finite({"loss": losses}, "réduisez le pas d'apprentissage (--learning-rate)")
    train_accuracy = np.mean((forward(trained, x)["p"] > 0.5) == y)
    test_accuracy = np.mean((forward(trained, x_test)["p"] > 0.5) == y_test)

    return Result(
        history={"loss": losses},
        metrics={"autodiff_error": autodiff_error, "finite_difference_error": finite_error,
                 "keras_bits": keras_float_bits(), "parameters": sum(v.size for v in params.values()),
                 "initial_loss": losses[0], "final_loss": losses[-1],
                 "train_accuracy": train_accuracy, "test_accuracy": test_accuracy},
        # The training points and the trained weights: the figure maps the network's
        # probability over the plane.
        data={"x": x, "y": y.astype("uint8"), **{f"trained_{k}": v for k, v in trained.items()}})


def figure_loss(result: Result, reference=None) -> str:
    return plots.history_curves(result.history, ["loss"], "Perte (entropie croisée binaire)",
                                "perte", reference=reference)


def figure_boundary(result: Result) -> str:
    data = result.data
    trained = {k: data[f"trained_{k}"] for k in ("W1", "b1", "W2", "b2")}
    return plots.probability_map(data["x"], data["y"], lambda grid: forward(trained, grid)["p"],
                                 "Frontière de décision du réseau à deux couches",
                                 ("lune 0", "lune 1"))


# --- claims: what the pages say of this run -----------------------------------------

def _claim_number(value: float) -> str:
    """A value of a claim's detail, written the French way (imported here: a module-level
    import would change the training key, which claims leave alone)."""
    from fidle_examples.core import frenchfmt

    return frenchfmt.scientific(value) if abs(value) < 0.01 else frenchfmt.number(value, 3)


def _claim_rounding(bits: float) -> float:
    """The largest relative gap that is only rounding: about 45 units of the last place
    in 64 bits (2.2e-16 each), 84 in 32 bits (1.2e-7 each); the runs give about 5 (TensorFlow)
    and 3 (JAX, PyTorch), a wrong derivative more than 1e-2."""
    return 1e-14 if bits >= 64 else 1e-5


def claim_same_as_autodiff(result: Result):
    error, bits = result.metrics["autodiff_error"], result.metrics["keras_bits"]
    return error < _claim_rounding(bits), (f"écart relatif à Keras\u00a0: "
                                           f"{_claim_number(error)}, en {int(bits)} bits")


def claim_finite_differences_close(result: Result):
    autodiff, finite = (result.metrics[k] for k in ("autodiff_error", "finite_difference_error"))
    bits = result.metrics["keras_bits"]
    # Finite differences vs autodiff only compare at the same precision: in 32 bits,
    # Keras's own rounding (10⁻⁷) is above the finite differences' error (10⁻⁸).
    holds = finite < 1e-6 and (bits < 64 or autodiff < finite)
    return holds, (f"écart aux différences finies\u00a0: {_claim_number(finite)}\u00a0; à "
                   f"Keras\u00a0: {_claim_number(autodiff)}, en {int(bits)} bits")


def claim_learns_the_moons(result: Result):
    from fidle_examples.core import frenchfmt

    m = result.metrics
    holds = (m["final_loss"] < m["initial_loss"] / 10 and m["train_accuracy"] > 0.95
             and m["test_accuracy"] > 0.95)
    return holds, (f"perte de {_claim_number(m['initial_loss'])} à "
                   f"{_claim_number(m['final_loss'])}\u00a0; exactitude "
                   f"{frenchfmt.percent(m['train_accuracy'])} à l'entraînement, "
                   f"{frenchfmt.percent(m['test_accuracy'])} sur de nouveaux points")
