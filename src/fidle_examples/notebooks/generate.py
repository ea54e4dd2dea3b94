"""Jupyter notebooks of the examples, generated from the package, never edited by hand.

    python -m fidle_examples.notebooks            # (re)write docs/carnets/*.ipynb
    python -m fidle_examples.notebooks --check    # exit 1 if one is out of date
    python -m fidle_examples.notebooks mnist -o /tmp   # one notebook, elsewhere

A notebook runs in any Jupyter or in Colab with nothing but what its first cell
installs: no import of fidle_examples. In order:
- `%pip install` of the libraries it imports, at the versions of requirements.lock;
- a set-up cell: imports, the hyperparameters as plain variables (`EPOCHS`) with a
  PROFILE = "quick" / "full" switch, and the seed;
- the helpers the lesson uses but its page does not show, written out (loading the data
  with Keras' own loaders, code of another example: helpers.py, lesson.py);
- the lesson: the snippet sections of the example, as on its page and with the page's
  explanations between them, and the rest of run(), which ends with `metrics`
  (code.py rewrites what only served the course's runner);
- the main figures in plain matplotlib (figures.py);
- the comparison of `metrics` with the site's reference, written in (comparison.py).

The notebooks are committed under docs/carnets/ rather than generated during the site
build: mkdocs-jupyter reads and copies notebooks from real files (a generated File has
none), people browsing the repository see them, and tests/test_notebooks.py fails,
naming `make notebooks`, when one differs from what this module generates (after a
change of the code, of the pages or of the reference results).
"""

from __future__ import annotations

import argparse
import ast
import inspect
import posixpath
import re
import sys
from pathlib import Path

from fidle_examples.core import frenchfmt, reference as references, registry
from fidle_examples.core.errors import FidleError, UsageError
from fidle_examples.notebooks import code as source, comparison, figures, lesson as lessons, prose

NOTEBOOK_DIR = "carnets"  # under docs/
LOCK = "requirements.lock"  # at the project's root: the versions the notebooks install

# Titles of the snippet sections when the page has no prose before them.
_SECTION_LABELS = {"data": "Les données", "model": "Le modèle", "train": "L'entraînement",
                   "evaluate": "L'évaluation"}
# Imported module -> what to install (keras runs on the TensorFlow backend, the default).
# Standard library modules need nothing; JAX and PyTorch are only imported by the
# branches of another Keras backend.
PACKAGES = {"numpy": ("numpy",), "matplotlib": ("matplotlib",),
            "keras": ("keras", "tensorflow"), "tensorflow": ("tensorflow",),
            "sklearn": ("scikit-learn",), "jax": (), "torch": ()}


def notebook_names() -> list[str]:
    """The examples that have a notebook, in the registry's order."""
    return [spec.name for spec in registry.EXAMPLES if spec.notebook]


def build(name: str, docs: Path) -> dict:
    """The notebook of example `name` (an nbformat v4 node), from the package, the
    pages under `docs` and the reference results."""
    import nbformat.v4 as nbf

    spec = registry.get(name)
    if spec.notebook is None:
        raise UsageError(f"L'exemple « {name} » n'a pas de carnet.")
    module = spec.load()
    figure_text, figure_code = figures.figures(name) or ("", "")
    closing_text, closing_code = comparison.cell(name, module)
    lesson = lessons.read(spec, docs, "\n\n".join([figure_code, closing_code]))
    page_text = (docs / spec.page).read_text(encoding="utf-8")
    heading = prose.title(page_text) or spec.title
    render = _marker_text(lesson, module)

    def explanation(piece: source.Piece) -> str:
        markdown = lesson.page_prose.get((piece.file, piece.section), "")
        text = prose.to_jupyter(markdown, spec.page, spec.notebook, render)
        return text or f"**{_SECTION_LABELS.get(piece.section, piece.section)}.**"

    cells = [("markdown", _introduction(spec, module, heading)),
             ("code", _install(lesson)),
             ("markdown", _SETUP_TEXT), ("code", _setup(lesson, module))]
    if lesson.helpers:
        cells += [("markdown", _HELPERS_TEXT), ("code", "\n\n\n".join(lesson.helpers))]
    for piece in lesson.cells:
        if piece.section:
            cells.append(("markdown", explanation(piece)))
        elif piece is lesson.cells[-1]:
            shown_run = any(p.in_run and p.section for p in lesson.cells)
            cells.append(("markdown", _METRICS_TEXT if shown_run else _RUN_TEXT))
        cells.append(("code", piece.source))
    if figure_code:
        cells += [("markdown", "## Les figures\n\n" + figure_text), ("code", figure_code)]
    cells += [("markdown", closing_text), ("code", closing_code)]

    notebook = nbf.new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    for index, (kind, text) in enumerate(cells):
        make = nbf.new_markdown_cell if kind == "markdown" else nbf.new_code_cell
        notebook.cells.append(make(text, id=f"{name}-{index:02d}"))
    return notebook


def _introduction(spec, module, heading: str) -> str:
    page = posixpath.relpath(spec.page, posixpath.dirname(spec.notebook))
    return "\n\n".join([
        f"# {heading}",
        (module.__doc__ or "").strip(),
        f"Ce carnet Jupyter reprend l'exemple **{spec.fidle_id}** du cours : son code est "
        f"celui de la page [{heading}]({page}) du site, avec ses explications, dans l'ordre "
        "où il s'exécute. Il est produit à partir du paquet d'exemples du cours, mais n'en a "
        "pas besoin : il s'exécute dans n'importe quel Jupyter (JupyterLab, Notebook, VS "
        "Code…) ou dans Google Colab, avec les seules bibliothèques qu'installe sa première "
        "cellule.",
        "**Pour l'exécuter.** Exécutez les cellules dans l'ordre (Maj + Entrée), ou tout le "
        "carnet d'un coup. " + (
            "Les données sont téléchargées par Keras à la première exécution, puis gardées "
            "dans son cache (`~/.keras/datasets`)." if module.DATASETS else
            "Les données sont tirées au hasard par le carnet lui-même : rien à télécharger.")
        + " Si la première cellule remplace une bibliothèque déjà chargée (Colab le "
        "signale), redémarrez le noyau (dans Colab, la session), puis reprenez au début."])


def _install(lesson) -> str:
    """The %pip line: the libraries the notebook imports, at the lock's versions."""
    code = "\n\n".join([*lesson.imports, *lesson.helpers, *(c.source for c in lesson.cells)])
    wanted = {"numpy", "matplotlib"}  # the set-up cell and the figures
    for module in source.imported_modules(code):
        if module in PACKAGES:
            wanted.update(PACKAGES[module])
        elif module not in sys.stdlib_module_names:
            raise UsageError(f"Le carnet de « {lesson.name} » importe « {module} » : ajoutez "
                             "ce module à PACKAGES dans notebooks/generate.py.")
    versions = _locked_versions()
    order = ["numpy", "matplotlib", "keras", "tensorflow", "scikit-learn"]
    pins = [f"{package}=={versions[package]}"
            for package in sorted(wanted, key=lambda p: (order.index(p) if p in order else 99, p))]
    return ("# Colab already has most of these libraries; this installs the versions the "
            "course\n# was built with (other versions may shift the numbers a little).\n"
            "%pip install --quiet " + " ".join(pins))


def _locked_versions() -> dict[str, str]:
    path = references.project_root() / LOCK
    if not path.is_file():
        raise UsageError(f"« {path} » introuvable : les carnets installent les versions "
                         "qu'il fixe.")
    versions = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;#\\]+)", line)
        if match:
            versions[match[1].lower()] = match[2]
    return versions


_SETUP_TEXT = (
    "## Mise en place\n\n"
    "Les bibliothèques, puis les réglages de l'exemple (ses hyperparamètres). "
    "`PROFILE = \"quick\"` choisit le **profil rapide**, qui s'exécute en peu de temps sur "
    "un processeur ; `PROFILE = \"full\"` donne les réglages des résultats publiés sur le "
    "site, plus longs à entraîner. Changez un réglage, relancez tout le carnet, et "
    "comparez. La graine `SEED` fixe les tirages aléatoires : deux exécutions donnent les "
    "mêmes nombres.")

_HELPERS_TEXT = (
    "## Les outils\n\n"
    "Des fonctions et des constantes que le code de la leçon utilise sans que la page les "
    "montre : le chargement des données par Keras, ou du code d'autres exemples du cours.")

_RUN_TEXT = (
    "## L'exécution et les mesures\n\n"
    "Le programme de l'exemple, que la page ne montre pas : il enchaîne les fonctions "
    "ci-dessus et rassemble dans le dictionnaire `metrics` les nombres que la page "
    "affiche.")

_METRICS_TEXT = (
    "## Les mesures\n\n"
    "La fin du programme de l'exemple : les nombres que sa page affiche, rassemblés dans "
    "le dictionnaire `metrics`.")


def _setup(lesson, module) -> str:
    full, quick = module.PROFILES["full"], module.PROFILES["quick"]
    written = _written_values(module)
    differ = any(getattr(full, f) != getattr(quick, f) for f in lesson.fields)
    lines = [*source.group_imports(lesson.imports), ""]
    lines.append('PROFILE = "quick"  # "full": the settings of the site\'s results (longer)'
                 if differ else
                 'PROFILE = "quick"  # or "full": in this example, both use the same settings')
    if differ:
        lines.append('FULL = PROFILE == "full"')
    lines.append("")
    for name in lesson.fields:
        value, fast = getattr(full, name), getattr(quick, name)
        text = _as_written(written["full"].get(name), value)
        if value != fast:
            text = f"{text} if FULL else {_as_written(written['quick'].get(name), fast)}"
        comment = written["comments"].get(name)
        lines.append(f"{source.variable(name)} = {text}" + (f"  # {comment}" if comment else ""))
    lines.append("")
    if "import keras" in lesson.imports:
        lines.append("keras.utils.set_random_seed(SEED)  # Python, NumPy and Keras: "
                     "repeatable runs")
    else:
        lines.append("np.random.seed(SEED)  # NumPy: repeatable runs")
    return "\n".join(lines)


def _as_written(text: str | None, value) -> str:
    """`text` (a value as the module writes it: 1 / 6, 60_000) if it is `value`, else
    its repr."""
    if text is not None:
        try:
            if eval(compile(ast.parse(text, mode="eval"), "<config>", "eval"),
                    {"__builtins__": {}}) == value:
                return text
        except Exception:  # a name, a call: not a plain value
            pass
    return repr(value)


def _written_values(module) -> dict[str, dict[str, str]]:
    """How the module writes its settings: {"full": {field: default in Config},
    "quick": {field: value in PROFILES["quick"]}, "comments": {field: comment of the
    field's line in Config}}."""
    text = inspect.getsource(module)
    lines = text.split("\n")
    found = {"full": {}, "quick": {}, "comments": {}}
    for node in ast.parse(text).body:
        if isinstance(node, ast.ClassDef) and node.name == "Config":
            for field in node.body:
                if isinstance(field, ast.AnnAssign) and field.value is not None:
                    name = field.target.id
                    found["full"][name] = ast.get_source_segment(text, field.value)
                    rest = lines[field.end_lineno - 1][field.end_col_offset:]
                    if "#" in rest:
                        found["comments"][name] = rest.split("#", 1)[1].strip()
        elif (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
              and any(getattr(t, "id", None) == "PROFILES" for t in node.targets)):
            for key, call in zip(node.value.keys, node.value.values):
                if getattr(key, "value", None) == "quick" and isinstance(call, ast.Call):
                    found["quick"] = {k.arg: ast.get_source_segment(text, k.value)
                                      for k in call.keywords}
    return found


def _marker_text(lesson, module):
    """What a result marker of the page becomes in the notebook's Markdown."""
    reference = references.load(lesson.name)

    def render(marker) -> str:
        if marker.kind == "config":
            if marker.item in lesson.fields:
                return f"`{source.variable(marker.item)}`"
            value = getattr(module.PROFILES["full"], marker.item)
            return (frenchfmt.number(value, 0) if isinstance(value, int)
                    else frenchfmt.short(value))
        if marker.kind == "metric":
            return f'`metrics["{marker.item}"]`'
        if marker.kind == "range":
            if reference is None:
                return "(plage de référence non disponible)"
            metric = module.METRICS[marker.item]
            low, _, high = reference.range(marker.item)
            return (f"{metric.format(low)} à {metric.format(high)} sur "
                    f"{len(reference.seeds)} graines")
        return ""  # figures, tables, claims, explorers: the notebook makes its own

    return render


def render(notebook) -> str:
    """The file content: nbformat's own layout, validated, with a final newline."""
    import nbformat

    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"


def write(names: list[str], docs: Path, output: Path) -> list[Path]:
    """Write the notebooks of `names` into `output`; returns the files that changed."""
    output.mkdir(parents=True, exist_ok=True)
    changed = []
    for name in names:
        path = output / f"{name}.ipynb"
        text = render(build(name, docs))
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def stale(names: list[str], docs: Path, output: Path) -> list[Path]:
    """The notebooks of `names` under `output` that are missing or out of date."""
    return [output / f"{name}.ipynb" for name in names
            if not (output / f"{name}.ipynb").is_file()
            or (output / f"{name}.ipynb").read_text(encoding="utf-8")
            != render(build(name, docs))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fidle_examples.notebooks",
        description="Produit les carnets Jupyter des exemples à partir du paquet et des "
                    "pages du site.")
    parser.add_argument("names", nargs="*", metavar="EXEMPLE",
                        help="exemples (défaut : tous ceux qui ont un carnet)")
    parser.add_argument("--docs", type=Path, default=Path("docs"), metavar="DOSSIER",
                        help="dossier des pages du site (défaut : docs)")
    parser.add_argument("-o", "--output", type=Path, metavar="DOSSIER",
                        help=f"dossier des carnets (défaut : DOCS/{NOTEBOOK_DIR})")
    parser.add_argument("--check", action="store_true",
                        help="n'écrit rien ; échoue si un carnet n'est pas à jour")
    args = parser.parse_args(argv)
    output = args.output or args.docs / NOTEBOOK_DIR
    try:
        names = args.names or notebook_names()
        for name in names:
            if registry.get(name).notebook is None:
                raise UsageError(f"L'exemple « {name} » n'a pas de carnet.")
        if not args.docs.is_dir():
            raise UsageError(f"Dossier des pages introuvable : « {args.docs} ». Lancez la "
                             "commande depuis la racine du projet, ou indiquez --docs.")
        if args.check:
            old = stale(names, args.docs, output)
            for path in old:
                print(f"Carnet pas à jour : {path}", file=sys.stderr)
            if old:
                print("Pour les régénérer : make notebooks", file=sys.stderr)
            return 1 if old else 0
        for path in write(names, args.docs, output):
            print(f"Écrit : {path}")
    except FidleError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
