"""Lesson code shared by the linear regression and gradient descent examples.

Not an example (no NAME, no run()): the points drawn around a line y = a·x + b, and
their exact least-squares solution, the normal equation. The linear regression page
shows these sections; the gradient descent example reuses them on the same points.
"""

from __future__ import annotations

import numpy as np


# --8<-- [start:data]
def make_line(config, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n_points points (x, y) with y = a·x + b + noise."""
    x = rng.uniform(0, config.x_max, config.n_points)
    noise = config.noise * rng.standard_normal(config.n_points)
    y = config.slope * x + config.intercept + noise
    return x, y
# --8<-- [end:data]


# --8<-- [start:model]
def design_matrix(x: np.ndarray) -> np.ndarray:
    """One row (x, 1) per point, so that X·θ = a·x + b with θ = (a, b)."""
    return np.column_stack([x, np.ones_like(x)])


def normal_equation(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """θ = (XᵀX)⁻¹Xᵀy, the parameters that minimise the mean squared error."""
    # Solving the linear system (XᵀX)·θ = Xᵀy gives the same θ as the formula, but
    # never forms the inverse: fewer operations and smaller rounding errors.
    return np.linalg.solve(X.T @ X, X.T @ y)
# --8<-- [end:model]
