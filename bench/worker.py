"""Measures on one Keras backend, in its own process (KERAS_BACKEND is read at import).

    python -m bench.worker --profile full --repeats 3

prints one JSON object on its last line of stdout. The parent (bench.__main__) sets
KERAS_BACKEND and KERAS_HOME.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time

from bench import flops

RESULT_PREFIX = "@bench-result "


def _epoch_clock():
    """A progress hook recording the time at each epoch end, and its list of times."""
    stamps: list[float] = []

    def hook(example, epoch, epochs, logs):
        stamps.append(time.perf_counter())

    return hook, stamps


def run_package(name: str, profile: str) -> dict:
    """One run of an example through the package, as `fidle-examples run` does it."""
    from fidle_examples.core import runner

    hook, stamps = _epoch_clock()
    started = time.perf_counter()
    result = runner.run_example(name, profile, verbose=0, progress=[hook])
    total = time.perf_counter() - started
    epochs = [b - a for a, b in zip([started, *stamps], stamps)]
    return {"total_s": total, "epoch_s": epochs, "config": result.config,
            "metrics": dict(result.metrics), "device": result.device,
            "versions": result.versions}


def mnist_one_step_per_call(profile: str) -> dict:
    """MNIST1 as before the optimisation of issue 14 (steps_per_execution=1), the same
    model and data as the package's: its throughput is the « before »."""
    from bench import plain_mnist
    from fidle_examples.core import runner

    _, _, config = runner.prepare("mnist", profile)
    hook, stamps = _epoch_clock()
    started = time.perf_counter()
    run = plain_mnist.run(config, steps_per_execution=1, on_epoch=hook)
    epochs = [b - a for a, b in zip([started, *stamps], stamps)]
    # The first interval also holds loading the data: only the steady epochs count.
    return {"epoch_s": epochs, "config": dataclasses.asdict(config),
            "metrics": {"test_accuracy": run["test_accuracy"]}}


def mnist_throughput(run: dict) -> dict:
    """Samples and GFLOP/s of the steady epochs (the first one also builds the graph)."""
    config = run["config"]
    n_total = config["train_size"]
    n_val = round(n_total * config["validation_fraction"])
    n_train = n_total - n_val
    units = config["hidden_units"]
    sizes = [28 * 28, units, units, 10]
    params = flops.dense_params(sizes)
    steady = run["epoch_s"][1:] or run["epoch_s"]
    epoch = statistics.median(steady)
    return {"params": params, "n_train": n_train, "n_val": n_val,
            "first_epoch_s": run["epoch_s"][0], "epoch_s": epoch,
            "samples_per_s": n_train / epoch,
            "gflops": flops.training_flops(sizes, n_train, n_val) / epoch / 1e9}


def overhead(profile: str, repeats: int) -> dict:
    """The package against the plain script, alternating, after one warm-up of each."""
    from bench import plain_mnist
    from fidle_examples.core import runner

    _, module, config = runner.prepare("mnist", profile)
    timings: dict[str, list[float]] = {"package": [], "plain": []}
    accuracy: dict[str, list[float]] = {"package": [], "plain": []}
    for repeat in range(repeats + 1):
        order = ("package", "plain") if repeat % 2 == 0 else ("plain", "package")
        for who in order:
            started = time.perf_counter()
            if who == "package":
                result = runner.run_example("mnist", profile, verbose=0)
                acc = result.metric("test_accuracy")
            else:
                acc = plain_mnist.run(config)["test_accuracy"]
            elapsed = time.perf_counter() - started
            if repeat:  # repeat 0 is the warm-up: first tracing, first device probe
                timings[who].append(elapsed)
                accuracy[who].append(acc)
    package, plain = (statistics.median(timings[k]) for k in ("package", "plain"))
    return {"repeats": repeats, "package_s": timings["package"], "plain_s": timings["plain"],
            "package_median_s": package, "plain_median_s": plain, "ratio": package / plain,
            "test_accuracy": accuracy}


def step_profile(out: dict, profile: str) -> dict:
    """bench/step_profile.py against the peak measured above; MNIST1's epoch of this
    run alongside when it had the same shapes (the full profile). A failure is
    reported in the table rather than losing the other measures."""
    from bench import step_profile as profiler

    try:
        result = profiler.measure(peak=out["peak"], repeats=5 if profile == "full" else 3)
    except Exception as error:  # noqa: BLE001 - any failure goes into the report
        return {"error": f"{type(error).__name__} : {error}"}
    config, throughput = out["mnist"]["config"], out["mnist"]["throughput"]
    shapes = ("batch_size", "hidden_units", "n_train", "n_val")
    if [{**config, **throughput}[k] for k in shapes] == [result[k] for k in shapes]:
        result["bench_epoch_s"] = throughput["epoch_s"]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("--profile", default="full")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: "
                        "before, profile (TensorFlow only), wine, overhead")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))

    started = time.perf_counter()
    from fidle_examples.core import runtime

    keras = runtime.import_keras()
    out: dict = {"backend": keras.backend.backend(), "import_s": time.perf_counter() - started}
    out["peak"] = flops.peak_matmul()
    out["peak_numpy"] = flops.peak_numpy()
    mnist = run_package("mnist", args.profile)
    out["device"], out["versions"] = mnist.pop("device"), mnist.pop("versions")
    out["mnist"] = {**mnist, "throughput": mnist_throughput(mnist)}
    out["mnist"]["throughput"]["fraction_of_peak"] = (
        out["mnist"]["throughput"]["gflops"] / out["peak"]["gflops"])
    if out["backend"] == "tensorflow" and "before" not in skip:
        before = mnist_one_step_per_call(args.profile)
        throughput = mnist_throughput(before)
        throughput["fraction_of_peak"] = throughput["gflops"] / out["peak"]["gflops"]
        out["mnist_before"] = {**before, "throughput": throughput}
    if out["backend"] == "tensorflow" and "profile" not in skip:
        out["step_profile"] = step_profile(out, args.profile)
    if "wine" not in skip:
        out["wine"] = run_package("wine", args.profile)
    if "overhead" not in skip:
        out["overhead"] = overhead(args.profile, args.repeats)
    sys.stdout.write(RESULT_PREFIX + json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
