"""Claims: named predicates that back the sentences of a page stating an outcome.

An example declares `CLAIMS = {key: statement}` and one `claim_<key>(result)` each,
returning a bool or (bool, the values it compared, in French). A claim reads only
`result.metrics`, `result.history` and `result.config`, so it can be checked on a live
run and on every seed of the committed reference alike.

A claim about the mathematics or the lesson must hold for any honest run: every run of
the reference, whatever its backend or device. A device-specific claim (Claim(...,
device_specific=True): durations, rankings by time) is held to the setting it was
calibrated on, the published one of the reference (its backend and device); on
another setting its verdict is shown, with the run's values, but it is not a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from fidle_examples.core.contract import Contract
from fidle_examples.core.results import Result


@dataclass(frozen=True)
class Verdict:
    holds: bool
    detail: str = ""
    # A device-specific claim evaluated on a run of another setting than the one it was
    # calibrated on: a false verdict is then a note, not a contradiction of the page.
    elsewhere: bool = False

    @property
    def fails(self) -> bool:
        """False for this run, and held to it (a strict build fails)."""
        return not self.holds and not self.elsewhere


def setting_of(result: Result) -> tuple[str, str]:
    """(Keras backend, device) of a run."""
    return (result.versions or {}).get("backend", ""), result.device or ""


def calibrated_on(reference) -> tuple[str, str] | None:
    """The setting the device-specific claims were calibrated on: the reference's
    published backend and device (None without a reference)."""
    return (reference.backend, reference.device) if reference is not None else None


def evaluate(module: ModuleType, contract: Contract, key: str, result: Result,
             calibrated: tuple[str, str] | None = None) -> Verdict:
    """The claim's verdict for `result`; `calibrated`: the (backend, device) that
    device-specific claims are held to (None: held everywhere)."""
    answer = contract.claim_function(module, key)(result)
    holds, detail = answer if isinstance(answer, tuple) else (answer, "")
    elsewhere = (key in contract.device_specific and calibrated is not None
                 and setting_of(result) != calibrated)
    return Verdict(bool(holds), str(detail), elsewhere)


def evaluate_all(module: ModuleType, contract: Contract, result: Result,
                 calibrated: tuple[str, str] | None = None) -> dict[str, Verdict]:
    return {key: evaluate(module, contract, key, result, calibrated) for key in contract.claims}


def against_reference(module: ModuleType, contract: Contract, reference) -> list[str]:
    """French descriptions of every (claim, run) of the reference that is false: every
    claim on every run of the published setting, and the claims that are not
    device-specific on the runs of the other settings (backends, devices) too."""
    failures = []
    calibrated = calibrated_on(reference)
    for result in reference.results():
        backend, device = setting_of(result)
        for key, verdict in evaluate_all(module, contract, result, calibrated).items():
            if verdict.fails:
                failures.append(f"{contract.example}/{key} (graine {result.seed}, {backend}, "
                                f"{device}) : « {contract.claims[key]} » est faux"
                                + (f" — {verdict.detail}" if verdict.detail else ""))
    return failures
