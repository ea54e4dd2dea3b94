"""Jupyter notebooks of the examples, generated from the package, never edited by hand.

    python -m fidle_examples.notebooks            # (re)write docs/carnets/*.ipynb
    python -m fidle_examples.notebooks --check    # exit 1 if one is out of date
    python -m fidle_examples.notebooks mnist -o /tmp   # one notebook, elsewhere

A notebook is made of the example's code (notebook_code: its snippet sections and the
rest of run(), at top level, after a set-up cell that binds config and ctx) and of
the explanations of its site page (notebook_prose). It ends by showing the metrics
and figures of the reader's own run, then, on the site only, the figures of the
site's build-time run (images the fidle-examples plugin generates).

The notebooks are committed under docs/carnets/ rather than generated during the site
build: mkdocs-jupyter reads and copies notebooks from real files (a generated File has
none), people browsing the repository see them, and tests/test_notebooks.py fails,
naming `make notebooks`, when one differs from what this module generates.
"""

from __future__ import annotations

import argparse
import posixpath
import sys
from pathlib import Path

from fidle_examples.plugin import cache
from fidle_examples.notebooks import code as notebook_code, prose as notebook_prose
from fidle_examples.core import registry
from fidle_examples.core.errors import FidleError, UsageError

NOTEBOOK_DIR = "carnets"  # under docs/
SITE_FIGURES = "generated"  # where the fidle-examples plugin puts figures, under the site
PACKAGE_SOURCE = "src/fidle_examples/examples"  # as the pages include it

# Titles of the snippet sections when the page has no prose before them.
_SECTION_LABELS = {"data": "Les données", "model": "Le modèle", "train": "L'entraînement",
                   "evaluate": "L'évaluation"}


def notebook_uri(name: str) -> str:
    """Path of the example's notebook relative to docs/ (e.g. carnets/mnist.ipynb)."""
    return f"{NOTEBOOK_DIR}/{name}.ipynb"


def build(name: str, docs: Path) -> dict:
    """The notebook of example `name` (an nbformat v4 node), from the package and the
    pages under `docs`."""
    import nbformat.v4 as nbf

    spec = registry.get(name)
    code = notebook_code.read(spec.module, cache.package_dir() / "examples" / f"{spec.module}.py")
    source_file = f"{PACKAGE_SOURCE}/{spec.module}.py"
    page = notebook_prose.find_page(source_file, docs)
    page_text = page.read_text(encoding="utf-8") if page else ""
    page_uri = page.relative_to(docs).as_posix() if page else None
    prose = notebook_prose.section_prose(page_text, source_file) if page else {}
    here = notebook_uri(name)

    def jupyter(markdown: str) -> str:
        return notebook_prose.to_jupyter(markdown, page_uri, here, code.config_name,
                                         code.result_name)

    heading = (notebook_prose.title(page_text) if page else None) or spec.title
    cells = [("markdown", _introduction(spec, code, heading, page_uri, here)),
             ("markdown", _setup_text(code)), ("code", _setup_code(code, name))]
    for cell in code.cells:
        if cell.section:
            text = jupyter(prose.get(cell.section, ""))
            label = _SECTION_LABELS.get(cell.section, cell.section)
            cells.append(("markdown", text or f"**{label}.**"))
        elif cell.builds_result:
            cells.append(("markdown", _RESULT_TEXT))
        cells.append(("code", cell.source))
    cells += [("markdown", _SHOW_TEXT), ("code", _show_code(code)),
              ("markdown", _site_results(name, code, here))]

    notebook = nbf.new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    for index, (kind, source) in enumerate(cells):
        make = nbf.new_markdown_cell if kind == "markdown" else nbf.new_code_cell
        notebook.cells.append(make(source, id=f"{name}-{index:02d}"))
    return notebook


def _introduction(spec, code, heading: str, page_uri: str | None, here: str) -> str:
    page = (f"la page [{heading}]({posixpath.relpath(page_uri, posixpath.dirname(here))})"
            if page_uri else "les pages")
    return "\n\n".join([
        f"# {heading}",
        code.docstring,
        f"Ce carnet Jupyter reprend l'exemple **{spec.fidle_id}** du cours : ses cellules "
        f"sont le code du module `{PACKAGE_SOURCE}/{spec.module}.py` du paquet "
        f"`fidle_examples`, dans l'ordre où il s'exécute, et les explications de {page} "
        "du site. Il est produit à partir de ce code : il en suit toujours la dernière "
        "version.",
        "**Pour l'exécuter.** Ouvrez-le dans Jupyter (JupyterLab, Notebook, VS Code…) avec "
        "un noyau Python où le paquet du cours est installé : depuis la racine du projet, "
        "`pip install .`, ou l'environnement `.venv/` créé par `scripts/install.sh`. Dans "
        "Google Colab, installez d'abord le paquet depuis une copie du projet. Exécutez "
        "ensuite les cellules dans l'ordre (Maj + Entrée) : les données viennent du cache "
        "de Keras, téléchargées la première fois."])


def _setup_text(code) -> str:
    return (
        "## Mise en place\n\n"
        "Les bibliothèques, puis les réglages de l'exemple et son contexte d'exécution. "
        f"`{code.config_name}` rassemble les hyperparamètres du profil rapide (*quick*), qui "
        "s'exécute en quelques secondes sur un processeur ; `resolve(MODULE, \"full\")` "
        "donne ceux de la page du site, et `resolve(MODULE, \"quick\", {\"epochs\": 5})` "
        "en change un, avec les mêmes vérifications que la commande `fidle-examples run`. "
        f"`{code.context_name}` fournit les fonctions de rappel (*callbacks*) que "
        "l'exemple donne à Keras et le niveau de détail de l'affichage. La graine "
        f"`{code.config_name}.seed` initialise les générateurs aléatoires de Python, NumPy "
        "et Keras : deux exécutions donnent les mêmes nombres."
    ).replace("MODULE", code.module)


def _setup_code(code, name: str) -> str:
    uses_workdir = f"{code.context_name}.workdir" in code.code()
    extra = [f"from fidle_examples.examples import {code.module}",
             "from fidle_examples.core.config import resolve",
             "from fidle_examples.core.context import RunContext",
             "from fidle_examples.core.runtime import set_seed"]
    if uses_workdir:
        extra += ["import tempfile", "from pathlib import Path"]
    imports = notebook_code.group_imports([line for line in code.imports if line] + extra)
    context = f'RunContext(example="{name}", verbose=1'
    if uses_workdir:  # where the example saves its checkpoints
        context += ", workdir=Path(tempfile.mkdtemp(prefix=\"fidle-\"))"
    return "\n".join([
        *imports, "",
        f'{code.config_name} = resolve({code.module}, "quick")  # "full": the settings '
        "of the site's page",
        f"{code.context_name} = {context})",
        f"set_seed({code.config_name}.seed)  # Python, NumPy and Keras: a repeatable run",
        code.config_name])


_RESULT_TEXT = (
    "## Les mesures et les figures\n\n"
    "La suite de `run()` rassemble les mesures et construit les figures (module "
    "`fidle_examples.core.plots`) dans un objet `Result` : c'est lui que le site affiche et "
    "que la commande `fidle-examples run` enregistre.")

_SHOW_TEXT = (
    "## Les résultats de votre exécution\n\n"
    "Les mesures, puis les figures. Changez un réglage dans la cellule de mise en place, "
    "relancez tout le carnet, et comparez.")


def _show_code(code) -> str:
    result = code.result_name
    return "\n".join([
        "from IPython.display import SVG, Markdown, display",
        "",
        f"for metric in {result}.metrics.values():",
        '    print(f"{metric.label} : {metric.formatted()}")',
        f"for figure in {result}.figures.values():",
        '    display(Markdown(f"**{figure.title}**"), SVG(figure.svg))'])


def _site_results(name: str, code, here: str) -> str:
    parts = [
        "## Sur le site : les résultats de la construction",
        "Sur le site du cours, les figures ci-dessous sont celles de l'exécution faite à "
        "la construction du site, avec le profil indiqué sur la page de l'exemple, où se "
        "trouvent aussi les mesures. Dans Jupyter, ces images ne s'affichent pas : la "
        "cellule précédente montre celles de votre exécution."]
    for figure, title in code.figures:
        target = posixpath.relpath(f"{SITE_FIGURES}/{name}/{figure}.svg",
                                   posixpath.dirname(here))
        parts += [f"**{title}**", f"![{title}]({target})"]
    return "\n\n".join(parts)


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
                        help="exemples (défaut : tous ceux du registre)")
    parser.add_argument("--docs", type=Path, default=Path("docs"), metavar="DOSSIER",
                        help="dossier des pages du site (défaut : docs)")
    parser.add_argument("-o", "--output", type=Path, metavar="DOSSIER",
                        help=f"dossier des carnets (défaut : DOCS/{NOTEBOOK_DIR})")
    parser.add_argument("--check", action="store_true",
                        help="n'écrit rien ; échoue si un carnet n'est pas à jour")
    args = parser.parse_args(argv)
    output = args.output or args.docs / NOTEBOOK_DIR
    try:
        names = args.names or registry.names()
        for name in names:
            registry.get(name)
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
