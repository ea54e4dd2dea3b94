"""Training for the site build, in a child process: `python -m fidle_examples.plugin.buildworker`.

Why a child process: it imports the example code as it is on disk now (a long
`mkdocs serve` process would keep running the code it imported first), it releases
the memory and the GPU when done, and the MkDocs process never pays for importing
Keras when the cache is warm. The child reports to the parent with one JSON line per
event on stdout, prefixed by EVENT_PREFIX; any other line is the libraries' chatter.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import traceback
from collections import deque
from pathlib import Path
from typing import Callable

from fidle_examples.plugin import cache

EVENT_PREFIX = "@fidle-event "


class WorkerError(Exception):
    """The child failed; the message is the example's own (French) error."""

    def __init__(self, example: str, message: str, details: str = ""):
        super().__init__(message)
        self.example = example
        self.details = details


# --- child side -------------------------------------------------------------------

def _emit(event: str, example: str, **data) -> None:
    line = json.dumps({"event": event, "example": example, **data}, ensure_ascii=False)
    sys.stdout.write(EVENT_PREFIX + line + "\n")
    sys.stdout.flush()


def ensure(name: str, profile: str, results: cache.ResultsCache) -> None:
    """Make sure the cache holds the entry of `name` for the code on disk now."""
    from fidle_examples.core import runner, runtime

    spec, module, config = runner.prepare(name, profile)
    versions = cache.library_versions()
    fingerprint = cache.fingerprint(spec, profile, versions)
    key = cache.result_key(fingerprint, dataclasses.asdict(config),
                           getattr(module, "DATASETS", ()))

    def on_wait():
        _emit("waiting", name)

    def progress(example, epoch, epochs, logs):
        _emit("epoch", example, epoch=epoch, epochs=epochs,
              logs={k: float(v) for k, v in logs.items()})

    with results.lock(name, profile, key, on_wait=on_wait):
        if results.load(name, profile, key) is not None:  # another build made it meanwhile
            results.remember(name, profile, key, fingerprint)
            _emit("done", name, key=key, trained=False)
            return
        _emit("training", name, profile=profile,
              config=dataclasses.asdict(config))
        result = runner.execute(spec, module, config, profile, None, verbose=0,
                                progress=[progress])
        if result.versions != versions:
            _emit("warning", name, message=(
                f"versions lues sans importer Keras {versions} différentes de celles de "
                f"l'entraînement {result.versions} : le cache pourrait être réutilisé à tort"))
        results.store(name, profile, key, fingerprint, result)
        _emit("done", name, key=key, trained=True, duration_s=result.duration_s,
              device=result.device)


def main(argv: list[str] | None = None) -> int:
    from fidle_examples.core.errors import FidleError

    parser = argparse.ArgumentParser(prog="python -m fidle_examples.plugin.buildworker")
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--profile", required=True)
    parser.add_argument("names", nargs="+")
    args = parser.parse_args(argv)
    results = cache.ResultsCache(args.cache)
    for name in args.names:
        try:
            ensure(name, args.profile, results)
        except FidleError as error:
            _emit("error", name, message=str(error))
            return error.exit_code
        except KeyboardInterrupt:
            return 130
        except Exception as error:  # a bug in an example: report it, whatever it is
            _emit("error", name, message=f"{error.__class__.__name__} : {error}",
                  details=traceback.format_exc())
            return 1
    return 0


# --- parent side ------------------------------------------------------------------

def run(names: list[str], profile: str, root: Path,
        on_event: Callable[[dict], None], on_output: Callable[[str], None]) -> None:
    """Run the child for `names`; call on_event for each event, on_output for other
    lines. Raises WorkerError when an example fails (or the child dies)."""
    env = dict(os.environ)
    # The child must import this very package, wherever it was imported from.
    here = str(cache.package_dir().parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [here, env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    # No .pyc written into src/: `mkdocs serve` watches it and would rebuild once more.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [sys.executable, "-m", "fidle_examples.plugin.buildworker", "--cache", str(root),
               "--profile", profile, *names]
    tail: deque[str] = deque(maxlen=30)
    current = names[0]
    error: dict | None = None
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, text=True, encoding="utf-8",
                          errors="replace", env=env) as child:
        try:
            for line in child.stdout:
                line = line.rstrip("\n")
                if not line.startswith(EVENT_PREFIX):
                    tail.append(line)
                    on_output(line)
                    continue
                event = json.loads(line[len(EVENT_PREFIX):])
                current = event["example"]
                if event["event"] == "error":
                    error = event
                else:
                    on_event(event)
            code = child.wait()
        except BaseException:  # Ctrl-C in `mkdocs serve`: do not leave the child behind
            child.kill()
            child.wait()
            raise
    if error:
        raise WorkerError(error["example"], error["message"], error.get("details", ""))
    if code:
        output = "\n".join(tail)
        raise WorkerError(current, f"le processus d'entraînement s'est arrêté (code {code}).",
                          output)


if __name__ == "__main__":
    sys.exit(main())
