"""What an example receives besides its Config: verbosity, output folder, progress hooks."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from fidle_examples.core.errors import TrainingError

# progress(example_name, epoch, total_epochs, logs) is called at the end of each epoch.
ProgressHook = Callable[[str, int, int, dict], None]


@dataclass
class RunContext:
    example: str = ""
    verbose: int = 1  # Keras' fit verbosity: 1 = progress bar, 0 = silent
    workdir: Path | None = None  # scratch folder (checkpoints), removed after the run
    progress: list[ProgressHook] = field(default_factory=list)

    def callbacks(self, epochs: int) -> list:
        """Keras callbacks every example passes to fit(): NaN guard and progress reports."""
        import keras

        ctx = self

        class _Progress(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                for hook in ctx.progress:
                    hook(ctx.example, epoch + 1, epochs, dict(logs or {}))

        return [keras.callbacks.TerminateOnNaN(), _Progress()]

    def report_epoch(self, epoch: int, epochs: int, logs: dict) -> None:
        """For examples that train without Keras (NumPy loops)."""
        for hook in self.progress:
            hook(self.example, epoch, epochs, logs)

    @staticmethod
    def check_finite(history: dict[str, list[float]], hint: str = "") -> None:
        """Stop with a clear message when training diverged (loss became NaN or infinite)."""
        for key, values in history.items():
            if values and not all(math.isfinite(v) for v in values):
                epoch = next(i for i, v in enumerate(values, 1) if not math.isfinite(v))
                advice = hint or "réduisez le taux d'apprentissage (--learning-rate)"
                raise TrainingError(
                    f"L'entraînement a divergé : « {key} » n'est plus un nombre fini à "
                    f"l'époque {epoch}. Il a été arrêté. Pour corriger : {advice}.")
