"""What an example receives besides its Config: verbosity, output folder, progress hooks,
and the models it already traced."""

from __future__ import annotations

import json
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
    # architecture (and compile settings) -> the model of this run that has it
    _traced: dict = field(default_factory=dict, repr=False)

    def reuse_traced(self, model):
        """`model`, or the model of the same architecture this run already trained, given
        `model`'s fresh initial weights and optimizer state.

        Keras traces a model's training and evaluation steps at its first fit(): about
        1 s per model on a processor, more than the training itself for the small
        networks of the experiments that train the same network many times. The reused
        model computes exactly what the new one would have (tested bit for bit): same
        initial values, same random draws afterwards, since the new model was built,
        drawing its weights, before it is swapped.

        On TensorFlow only, where that equality is tested: on JAX the reused model gave
        other numbers (the randomness experiment's two same-seed runs then differed by
        0.026), and PyTorch traces nothing. Elsewhere `model` is returned as it is."""
        import keras

        if keras.backend.backend() != "tensorflow":
            return model
        key = _architecture(model)
        old = self._traced.get(key)
        if old is None:
            self._traced[key] = model
            return model
        for optimizer, variables in ((model.optimizer, model.trainable_variables),
                                     (old.optimizer, old.trainable_variables)):
            if not optimizer.built:
                optimizer.build(variables)
        pairs = ((old.variables, model.variables),
                 (old.optimizer.variables, model.optimizer.variables))
        # Every shape checked before any copy: a mismatch leaves the kept model whole.
        if any([tuple(v.shape) for v in mine] != [tuple(v.shape) for v in theirs]
               for mine, theirs in pairs):
            return model  # not the same after all: trace the new one
        for mine, theirs in pairs:
            for target, source in zip(mine, theirs):
                target.assign(source)
        return old

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


def _architecture(model) -> str:
    """The layers and compile settings of a model, without the names Keras numbers."""
    def unnamed(value):
        if isinstance(value, dict):
            return {k: unnamed(v) for k, v in value.items() if k != "name"}
        if isinstance(value, (list, tuple)):
            return [unnamed(v) for v in value]
        return value

    return json.dumps(unnamed([model.get_config(), model.get_compile_config()]),
                      sort_keys=True, default=repr)
