"""Is every example of the registry wired into the site? One list of what is missing.

Adding an example takes a module, a page and a registry entry (and `make notebooks`):
this checks the rest follows — the page exists and is in the navigation, the notebook
exists and is in the navigation, the module follows the common shape, every declared
figure is shown on a page, every snippet a page includes exists. Used by the contract
tests, and runnable alone: `python -m fidle_examples.plugin.consistency`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from fidle_examples.core import contract, registry
from fidle_examples.core.errors import FidleError
from fidle_examples.plugin import markers

_SNIPPET = re.compile(r'(?<!;)--8<--\s+"(?P<path>[^":]+\.py):(?P<section>[\w-]+)"')
_SECTION = re.compile(r"# --8<-- \[start:(?P<section>[\w-]+)\]")


def _nav(root: Path) -> str:
    text = (root / "mkdocs.yml").read_text(encoding="utf-8")
    return text[text.find("\nnav:"):]


def _in_nav(nav: str, path: str) -> bool:
    return re.search(rf"(^|[\s:]){re.escape(path)}\s*$", nav, re.M) is not None


def problems(root: Path) -> list[str]:
    """French descriptions of what is missing, one per problem; empty when all is wired."""
    docs = root / "docs"
    nav = _nav(root)
    pages = {p.relative_to(docs).as_posix(): p.read_text(encoding="utf-8")
             for p in docs.rglob("*.md") if "vendor" not in p.parts}
    used: dict[str, set[tuple[str, str | None]]] = {}
    for text in pages.values():
        for marker in markers.scan(text)[0]:
            used.setdefault(marker.name, set()).add((marker.kind, marker.item))
    found = []
    for spec in registry.EXAMPLES:
        who = f"exemple « {spec.name} »"
        if spec.page not in pages:
            found.append(f"{who} : sa page docs/{spec.page} n'existe pas")
        elif not _in_nav(nav, spec.page):
            found.append(f"{who} : sa page {spec.page} n'est pas dans la navigation (nav de "
                         "mkdocs.yml)")
        if spec.notebook:
            if not (docs / spec.notebook).is_file():
                found.append(f"{who} : son carnet docs/{spec.notebook} n'existe pas (make "
                             "notebooks)")
            elif not _in_nav(nav, spec.notebook):
                found.append(f"{who} : son carnet {spec.notebook} n'est pas dans la navigation")
        try:
            module = spec.load()
            declared = contract.read(module)
        except (ImportError, FidleError) as error:
            found.append(f"{who} : module illisible ({error})")
            continue
        shown = used.get(spec.name, set())
        if not shown:
            found.append(f"{who} : aucune page ne montre ses résultats (marqueurs "
                         "{{ fidle:… " + spec.name + "… }})")
        elif ("results", None) not in shown:
            for key in declared.figures:
                if ("figure", key) not in shown and ("explorer", None) not in shown:
                    found.append(f"{who} : la figure déclarée « {key} » n'est montrée sur "
                                 "aucune page")
    for uri, text in pages.items():
        for match in _SNIPPET.finditer(text):
            path = root / match["path"]
            if not path.is_file():
                found.append(f"docs/{uri} : l'extrait « {match[0]} » vise un fichier absent")
            elif match["section"] not in _SECTION.findall(path.read_text(encoding="utf-8")):
                found.append(f"docs/{uri} : la section « {match['section']} » n'existe pas "
                             f"dans {match['path']}")
    return found


def main() -> int:
    found = problems(Path.cwd())
    for problem in found:
        print(f"- {problem}")
    print("Tout est relié." if not found else f"{len(found)} problème(s).")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
