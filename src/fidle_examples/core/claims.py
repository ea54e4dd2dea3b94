"""Claims: named predicates that back the sentences of a page stating an outcome.

An example declares `CLAIMS = {key: statement}` and one `claim_<key>(result)` each,
returning a bool or (bool, the values it compared, in French). A claim reads only
`result.metrics`, `result.history` and `result.config`, so it can be checked on a live
run and on every seed of the committed reference alike.
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


def evaluate(module: ModuleType, contract: Contract, key: str, result: Result) -> Verdict:
    answer = contract.claim_function(module, key)(result)
    holds, detail = answer if isinstance(answer, tuple) else (answer, "")
    return Verdict(bool(holds), str(detail))


def evaluate_all(module: ModuleType, contract: Contract, result: Result) -> dict[str, Verdict]:
    return {key: evaluate(module, contract, key, result) for key in contract.claims}


def against_reference(module: ModuleType, contract: Contract, reference) -> list[str]:
    """French descriptions of every (claim, seed) of the reference that is false."""
    failures = []
    for result in reference.results():
        for key, verdict in evaluate_all(module, contract, result).items():
            if not verdict.holds:
                failures.append(f"{contract.example}/{key} (graine {result.seed}) : "
                                f"« {contract.claims[key]} » est faux"
                                + (f" — {verdict.detail}" if verdict.detail else ""))
    return failures
