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
    compare = commands.add_parser(
        "compare", help="compare un résultat enregistré aux résultats de référence",
        description="Mon exécution est-elle normale ? Compare chaque mesure d'un résultat "
                    "enregistré à la plage des graines de référence (reference/NOM.json).")
    compare.add_argument("folder", type=Path, metavar="DOSSIER")
    reference = commands.add_parser(
        "reference", help="entraîne les exemples sur plusieurs graines (résultats de référence)",
        description="Entraîne chaque exemple (profil complet) sur plusieurs graines et écrit "
                    "reference/NOM.json. Une exécution interrompue reprend où elle s'était "
                    "arrêtée (chaque graine est gardée dans le cache).")
    reference.add_argument("names", nargs="*", metavar="EXEMPLE",
                           help="exemples (défaut : tous ceux du registre)")
    reference.add_argument("--seeds", type=int, metavar="K",
                           help="nombre de graines (défaut : 5, ou moins pour les expériences "
                                "qui entraînent déjà plusieurs fois)")
    doctor = commands.add_parser(
        "doctor", help="vérifie l'installation (Python, paquets, GPU, données, disque)")
    doctor.add_argument("--lock", type=Path, metavar="FICHIER",
                        help="verrou des versions à comparer (défaut : requirements.lock du projet)")
    doctor.add_argument("--offline", action="store_true",
                        help="considère la machine hors ligne (salle de cours sans réseau)")
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
    print(f"{'exemple':<{width}}  {'Fidle':<6}  titre")
    for spec in registry.EXAMPLES:
        print(f"{spec.name:<{width}}  {spec.fidle_id:<6}  {spec.title}")


def _declared(result: Result):
    from fidle_examples.core.contract import read

    return read(registry.get(result.example).load())


def summary(result: Result, folder: Path | None) -> str:
    metrics = _declared(result).metrics
    rows = [(metrics[k].label_for(result.config), metrics[k].format(v)) for k, v in result.metrics.items()
            if k in metrics]
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
    # What the run reports without failing (a descent that diverged and was stopped).
    lines += [f"\nAttention : {warning}" for warning in result.extra.get("warnings", [])]
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
                            verbose=0 if args.quiet else 1, draw=True)
    print()
    print(summary(result, output))
    if args.profile == "full":
        print()
        print(comparison(result))


def comparison(result: Result) -> str:
    """The comparison with the reference, or why there is none."""
    from fidle_examples.core import compare, reference

    if result.profile != "full":
        return (f"Pas de comparaison : ce résultat est du profil « {result.profile} », la "
                "référence du profil « full ».")
    ref = reference.load(result.example)
    if ref is None:
        return (f"Pas de résultats de référence pour « {result.example} » "
                f"({reference.path_for(result.example)}) : « make reference » les produit.")
    return compare.compare(result, ref, _declared(result)).text()


def cmd_reference(args) -> None:
    from fidle_examples import reference_runs
    from fidle_examples.core import reference

    names = args.names or [s.name for s in registry.EXAMPLES
                           if s.kind != registry.CHAPTER_FIGURES]
    for name in names:
        registry.get(name)  # unknown names: a French error before any training
    if args.seeds is not None and not 2 <= args.seeds <= 50:
        raise UsageError(f"--seeds doit être entre 2 et 50, pas {args.seeds}.")
    reference_runs.build(names, args.seeds, reference.project_root())


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
        elif args.command == "compare":
            if extra:
                raise UsageError(f"Argument inattendu : « {extra[0]} ».")
            print(comparison(Result.load(args.folder)))
        elif args.command == "reference":
            if extra:
                raise UsageError(f"Argument inattendu : « {extra[0]} ».")
            cmd_reference(args)
        elif args.command == "doctor":
            if extra:
                raise UsageError(f"Argument inattendu : « {extra[0]} ».")
            from fidle_examples import doctor  # imports Keras: only when asked

            return doctor.main(args.lock, args.offline)
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
