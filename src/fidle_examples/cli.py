"""`fidle-examples`: list, run and show the course examples, see and clear the results
cache, with French messages."""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from pathlib import Path

from fidle_examples import interrupt
from fidle_examples.core import frenchfmt, registry
from fidle_examples.core.config import PROFILES
from fidle_examples.core.errors import FidleError, UsageError
from fidle_examples.core.results import Result


class _FrenchParser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, add_help=False, **kwargs)
        self.add_argument("-h", "--help", action="help", help="affiche cette aide")

    def format_help(self) -> str:  # argparse's headings are in English
        text = super().format_help()
        for english, french in (("usage: ", "utilisation : "), ("\noptions:", "\noptions :"),
                                ("positional arguments:", "arguments :"), ("»:", "» :")):
            text = text.replace(english, french)
        return text

    def format_usage(self) -> str:
        return super().format_usage().replace("usage: ", "utilisation : ")

    def error(self, message: str):  # argparse's own messages are in English
        for pattern, french in _ARGPARSE_FRENCH:
            message = re.sub(pattern, french, message)
        raise UsageError(f"{message} Aide : {self.prog} --help")


_ARGPARSE_FRENCH = [
    (r"^argument ([^:]+): expected one argument$", r"L'option \1 attend une valeur."),
    (r"^argument ([^:]+): invalid int value: '(.*)'$",
     r"L'option \1 attend un nombre entier, pas « \2 »."),
    (r"^argument ([^:]+): invalid choice: '?([^' ]*)'? \(choose from (.*)\)$",
     r"Choix inconnu pour \1 : « \2 » (choix possibles : \3)."),
    (r"^the following arguments are required: (.*)$", r"Argument manquant : \1."),
    (r"^unrecognized arguments: (.*)$", r"Argument inattendu : « \1 »."),
]


def _parser(example=None) -> argparse.ArgumentParser:
    """The command line; `example` (a module), when `run` names one, adds its options."""
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
    if example is not None:
        _example_options(run, example)
    show = commands.add_parser("show", help="affiche un résultat enregistré")
    show.add_argument("folder", type=Path, metavar="DOSSIER")
    compare = commands.add_parser(
        "compare", help="compare un résultat enregistré aux résultats de référence",
        description="Mon exécution est-elle normale ? Compare chaque mesure d'un résultat "
                    "enregistré, sauf les durées (elles dépendent de la machine et de sa "
                    "charge), à la plage des graines de référence (reference/NOM.json).")
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
    cache = commands.add_parser(
        "cache", help="montre ou vide le cache des résultats du site",
        description="Le cache des entraînements et des figures de la construction du site "
                    "(dossier cache_dir du greffon dans mkdocs.yml, ou FIDLE_EXAMPLES_CACHE).")
    actions = cache.add_subparsers(dest="action", metavar="ACTION", parser_class=_FrenchParser)
    actions.add_parser("list", help="liste les entrées : exemple, taille, âge")
    clear = actions.add_parser("clear", help="supprime toutes les entrées (tout sera réentraîné)")
    clear.add_argument("--all", action="store_true",
                       help="vide aussi les caches des diagrammes et des outils du navigateur")
    prune = actions.add_parser("prune", help="supprime les entrées inutilisées depuis N jours")
    prune.add_argument("--older-than", type=int, default=30, metavar="JOURS",
                       help="âge minimal des entrées supprimées, en jours (défaut : 30)")
    return parser


def _example_options(run: argparse.ArgumentParser, module) -> None:
    """One option per field of the example's Config that the command line can set, with
    its default (profile full) and its quick-profile value, for --help."""
    full, quick = module.PROFILES["full"], module.PROFILES["quick"]
    group = run.add_argument_group(f"options de l'exemple « {module.NAME} »")
    for field in dataclasses.fields(full):
        if getattr(field.type, "__name__", field.type) not in ("int", "float", "str"):
            continue  # a tuple or a list cannot be typed on a command line
        # As typed on a command line (a decimal point): 0.1667, not 0,1667.
        default, fast = (f"{getattr(c, field.name):.4g}" if isinstance(getattr(c, field.name), float)
                         else str(getattr(c, field.name)) for c in (full, quick))
        text = f"défaut : {default}" + ("" if fast == default else f" (profil quick : {fast})")
        group.add_argument(f"--{field.name.replace('_', '-')}", dest=f"option_{field.name}",
                           metavar="VALEUR", help=text)


def _run_example(argv: list[str]):
    """The example module `fidle-examples run NAME ...` names, or None."""
    if argv[:1] != ["run"]:
        return None
    takes_value = {"--profile", "--output"}
    items = iter(argv[1:])
    for item in items:
        if item in takes_value:
            next(items, None)
        elif not item.startswith("-"):
            return registry.get(item).load()  # unknown: a French error
    return None


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
             ("Matériel", frenchfmt.device_label(result.device or "") or "inconnu"),
             ("Profil", result.profile),
             ("Graine", str(result.seed)),
             ("Versions", frenchfmt.versions_text(result.versions,
                                                   *registry.libraries(result.example)))]
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
    chosen = {key.removeprefix("option_"): value for key, value in vars(args).items()
              if key.startswith("option_") and value is not None}
    spec, module, config = runner.prepare(args.name, args.profile,
                                          {**chosen, **_overrides(extra)})
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
                "référence est celle du profil « full ».")
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


def cmd_cache(args) -> None:
    from fidle_examples.build.storage import ResultsCache, project_root

    project = _project()
    results = ResultsCache(project_root(project))
    others = [project / ".cache" / "mermaid", project / ".cache" / "browser-tools"]
    if args.action == "list":
        entries = results.entries()
        print(f"Cache des résultats : {results.root}")
        if not entries:
            print("(vide)")
        for entry in entries:
            print(f"  {entry.example:<22} {entry.slot:<12} {_size(entry.size):>10}  "
                  f"{_age(entry.modified)}")
        if entries:
            print(f"Total : {len(entries)} {_agree(len(entries), 'entrée')}, "
                  f"{_size(sum(e.size for e in entries))}.")
        for folder in others:
            if folder.is_dir():
                print(f"{folder} : {_size(_folder_size(folder))}")
    elif args.action == "clear":
        removed = results.clear()
        n = len(removed)
        print(f"{n} {_agree(n, 'entrée supprimée')} de {results.root}.")
        if args.all:
            import shutil

            for folder in others:
                shutil.rmtree(folder, ignore_errors=True)
                print(f"{folder} supprimé.")
    elif args.action == "prune":
        if args.older_than < 0:
            raise UsageError(f"--older-than attend un nombre de jours positif ou nul, "
                             f"pas {args.older_than}.")
        removed = results.clear(older_than_s=args.older_than * 86400)
        n = len(removed)
        print(f"{n} {_agree(n, 'entrée inutilisée')} depuis plus de {args.older_than} {_agree(args.older_than, 'jour')} "
              f"{_agree(n, 'supprimée')} de {results.root}.")
    else:
        raise UsageError("Action attendue : list, clear ou prune. "
                         "Aide : fidle-examples cache --help")


def _project() -> Path:
    from fidle_examples.core import reference

    return reference.project_root()


def _agree(n: int, words: str) -> str:
    """`words` agreed with the number n, French style: singular for 0 and 1
    (« 0 entrée supprimée »), plural from 2 (« 2 entrées supprimées »)."""
    return " ".join(w + "s" for w in words.split()) if n >= 2 else words


def _folder_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def _size(size: int) -> str:
    for unit in ("o", "ko", "Mo"):
        if size < 1024:
            return f"{frenchfmt.number(size, 0 if unit == 'o' else 1)}{frenchfmt.NNBSP}{unit}"
        size /= 1024
    return f"{frenchfmt.number(size, 1)}{frenchfmt.NNBSP}Go"


def _age(modified: float) -> str:
    import time

    days = (time.time() - modified) / 86400
    if days < 1:
        return "aujourd'hui"
    return f"il y a {int(days)} jour{'s' if days >= 2 else ''}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args, extra = _parser(_run_example(argv)).parse_known_args(argv)
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
        elif args.command == "cache":
            if extra:
                raise UsageError(f"Argument inattendu : « {extra[0]} ».")
            cmd_cache(args)
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
        interrupt.announce()
        return interrupt.EXIT_CODE
    return 0


def entry() -> None:
    """The `fidle-examples` command and `python -m fidle_examples`: main() with Ctrl-C
    that always ends the command (fidle_examples.interrupt)."""
    interrupt.exit_after(main)
