"""`fidle-examples`: list, run and show the course examples, with French messages."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from fidle_examples.core import frenchfmt, registry
from fidle_examples.core.config import PROFILES
from fidle_examples.core.errors import FidleError, UsageError
from fidle_examples.core.results import Result


class _FrenchParser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own messages are in English
        raise UsageError(f"{message}. Aide : fidle-examples {self.prog.split()[-1]} --help"
                         if " " in self.prog else f"{message}. Aide : fidle-examples --help")


def _parser() -> argparse.ArgumentParser:
    parser = _FrenchParser(
        prog="fidle-examples",
        description="Exemples Keras du cours Fidle (séquence 1) : lister, entraîner, relire.")
    commands = parser.add_subparsers(dest="command", metavar="COMMANDE",
                                     parser_class=_FrenchParser)
    commands.add_parser("list", help="liste les exemples disponibles")
    run = commands.add_parser(
        "run", help="entraîne un exemple et enregistre ses résultats",
        description="Entraîne un exemple. Tout hyperparamètre de sa configuration peut être "
                    "changé par une option : --epochs 5, --batch-size 64, --seed 1...")
    run.add_argument("name", metavar="EXEMPLE", help="nom de l'exemple (voir « list »)")
    run.add_argument("--profile", default="full", metavar="PROFIL",
                     help="full (référence, défaut) ou quick (rapide, pour les tests)")
    run.add_argument("--output", type=Path, metavar="DOSSIER",
                     help="dossier des résultats (défaut : results/EXEMPLE)")
    run.add_argument("--quiet", action="store_true", help="sans barre de progression")
    show = commands.add_parser("show", help="affiche un résultat enregistré")
    show.add_argument("folder", type=Path, metavar="DOSSIER")
    return parser


def _overrides(extra: list[str]) -> dict[str, str]:
    """["--batch-size", "64", "--epochs=5"] -> {"batch_size": "64", "epochs": "5"}."""
    found: dict[str, str] = {}
    items = iter(extra)
    for item in items:
        if not item.startswith("--") or item == "--":
            raise UsageError(f"Argument inattendu : « {item} ». Aide : fidle-examples run --help")
        key, _, value = item[2:].partition("=")
        if not _:
            value = next(items, None)
            if value is None:
                raise UsageError(f"L'option --{key} attend une valeur.")
        found[key.replace("-", "_")] = value
    return found


def cmd_list() -> None:
    width = max(len(spec.name) for spec in registry.EXAMPLES)
    print(f"{'exemple':<{width}}  {'Fidle':<6}  {'durée':<7}  titre")
    for spec in registry.EXAMPLES:
        print(f"{spec.name:<{width}}  {spec.fidle_id:<6}  {spec.duration:<7}  {spec.title}")


def summary(result: Result, folder: Path | None) -> str:
    rows = [(m.label, m.formatted()) for m in result.metrics.values()]
    rows += [("Durée", frenchfmt.duration(result.duration_s)),
             ("Matériel", result.device),
             ("Profil", result.profile),
             ("Graine", str(result.seed)),
             ("Versions", ", ".join(f"{k} {v}" for k, v in result.versions.items()))]
    if folder is not None:
        rows.append(("Fichiers", str(folder)))
    width = max(len(label) for label, _ in rows)
    lines = [f"Résultats : {result.title}", "-" * (width + 30)]
    lines += [f"{label:<{width}}  {value}" for label, value in rows]
    return "\n".join(lines)


def cmd_run(args, extra: list[str]) -> None:
    from fidle_examples.core import runner  # imports Keras: only when training

    if args.profile not in PROFILES:
        raise UsageError(f"Profil inconnu : « {args.profile} ». "
                         f"Profils possibles : {', '.join(PROFILES)}.")
    spec, module, config = runner.prepare(args.name, args.profile, _overrides(extra))
    output = args.output or Path("results") / spec.name
    print(f"Entraînement de « {spec.title} » (profil {args.profile}) : "
          + ", ".join(f"{k}={v}" for k, v in dataclasses.asdict(config).items()))
    result = runner.execute(spec, module, config, args.profile, output,
                            verbose=0 if args.quiet else 1)
    print()
    print(summary(result, output))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args, extra = _parser().parse_known_args(argv)
        if args.command == "list":
            cmd_list()
        elif args.command == "run":
            cmd_run(args, extra)
        elif args.command == "show":
            if extra:
                raise UsageError(f"Argument inattendu : « {extra[0]} ».")
            print(summary(Result.load(args.folder), args.folder))
        else:
            _parser().print_help()
            return 2
    except FidleError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("\nInterrompu : aucun résultat partiel n'a été enregistré.", file=sys.stderr)
        return 130
    return 0
