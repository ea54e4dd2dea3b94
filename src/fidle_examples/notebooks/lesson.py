"""The code of one example's notebook: its cells in order, and what the set-up cell
must provide (imports, hyperparameters, helpers), found from the names the cells use.

Order: the snippet sections in the order of the example's page, each with the code of
run() that comes before it; then the rest of run(), which ends by `metrics = ...`.
Whatever the cells use and do not define comes, in this order of preference, from the
hyperparameters (`EPOCHS`), the example's other top-level definitions and those of the
lesson modules it imports (`design_matrix`), the package helpers written out
(helpers.py: `load_mnist`), or an import of the example's own (`import numpy as np`).
"""

from __future__ import annotations

import ast
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from fidle_examples.core.registry import ExampleSpec
from fidle_examples.notebooks import code as source, helpers, prose

EXAMPLES_SOURCE = "src/fidle_examples/examples"  # as the pages include it
EXAMPLES_PACKAGE = f"{source.PACKAGE}.examples."
SETUP_NAMES = {"PROFILE", "FULL"}  # the profile switch of the set-up cell


@dataclass
class Lesson:
    name: str
    module: object  # the example module (its PROFILES, METRICS, docstring)
    cells: list[source.Piece]  # the lesson: sections and the code of run() between them
    helpers: list[str] = field(default_factory=list)  # definitions the page does not show
    imports: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)  # Config fields used, in Config order
    page_prose: dict[tuple[str, str], str] = field(default_factory=dict)  # (file, section)


def read(spec: ExampleSpec, docs: Path, extra_code: str = "") -> Lesson:
    """The notebook code of `spec`; `extra_code` (figures, comparison) comes after the
    lesson and may use its variables."""
    module = spec.load()
    folder = Path(module.__file__).parent
    main = source.read_module(spec.module, folder / f"{spec.module}.py")
    lessons = {}  # the lesson modules it imports (line_fitting, mnist_dense)
    for origin in source.package_imports(main.tree).values():
        if origin.startswith(EXAMPLES_PACKAGE):
            name = origin.removeprefix(EXAMPLES_PACKAGE)
            lessons[name] = source.read_module(name, folder / f"{name}.py")
    by_file = {m.file: m for m in [main, *lessons.values()]}
    fields = [f.name for f in dataclasses.fields(module.Config)]
    clash = {source.variable(f) for f in fields} & set(vars(module))
    if clash:
        raise source.NotebookSourceError(
            f"{main.path} : {', '.join(sorted(clash))} nomme déjà autre chose dans le module : "
            "le carnet ne peut pas en faire la variable d'un hyperparamètre.")

    def rewritten(piece: source.Piece) -> source.Piece:
        where = f"{piece.file} ({piece.section or 'code hors section'})"
        return dataclasses.replace(
            piece, source=source.rewrite(piece.source, set(fields), where))

    run = [rewritten(p) for p in source.run_pieces(main)]
    page_text = (docs / spec.page).read_text(encoding="utf-8")
    shown = prose.includes(page_text, EXAMPLES_SOURCE)
    cells, done = [], 0
    for file, section in shown:
        module_source = by_file.get(file)
        if module_source is None:
            continue  # code of another example, quoted by this page
        if section in module_source.sections:
            cells.append(rewritten(module_source.sections[section]))
            continue
        index = next((i for i, p in enumerate(run) if p.section == section
                      and file == main.file), None)
        if index is None:
            raise source.NotebookSourceError(
                f"{spec.page} inclut la section « {section} » de {file}, introuvable.")
        if index < done:
            raise source.NotebookSourceError(
                f"{spec.page} montre les sections de run() dans un autre ordre que celui de "
                "leur exécution : le carnet, qui suit l'ordre de la page, ne peut pas.")
        cells += run[done:index + 1]
        done = index + 1
    cells += run[done:]

    # Code after the sections that only fed the figures of the site goes.
    read_later = source.read_names(extra_code) | {source.METRICS}
    for index in range(len(cells) - 1, -1, -1):
        if cells[index].in_run and cells[index].section is None:
            cells[index] = source.drop_unused(cells[index], read_later)
        read_later |= source.read_names(cells[index].source)
    cells = [c for c in cells if ast.parse(c.source).body]  # not only comments

    lesson = Lesson(spec.name, module, cells, page_prose={
        (f, s): text for f in by_file
        for s, text in prose.section_prose(page_text, f"{EXAMPLES_SOURCE}/{f}").items()})
    _resolve(lesson, main, lessons, fields, rewritten, extra_code)
    return lesson


def _resolve(lesson: Lesson, main, lessons: dict, fields: list[str], rewritten,
             extra_code: str) -> None:
    """Fill the lesson's helpers, imports and fields from the names its code needs."""
    definitions = {}  # name -> (rank, piece): lesson modules first, then the example
    imports: dict[str, str] = dict(helpers.EXTRA_IMPORTS)
    for module_source in [*lessons.values(), main]:
        imports.update(source.imports_of(module_source.tree))
    for rank, module_source in enumerate([*lessons.values(), main]):
        for name, piece in source.top_level_definitions(module_source).items():
            definitions[name] = (rank, piece)
    variables = {source.variable(f): f for f in fields}
    # Names the example or its lesson modules import from the package's core: helpers.py
    # writes out those a notebook may need.
    standins = {name for m in [main, *lessons.values()]
                for name, origin in source.package_imports(m.tree).items()
                if not origin.startswith(EXAMPLES_PACKAGE)}

    chosen: dict[object, tuple[int, int, str]] = {}  # piece or name -> (rank, order, code)
    import_lines: set[str] = set()
    used_fields: set[str] = set()
    code = "\n\n".join([*(c.source for c in lesson.cells), extra_code])
    pending = sorted(source.free_names(code))
    seen: set[str] = set()
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        seen.add(name)
        new_code = None
        if name in SETUP_NAMES:
            continue
        if name in variables:
            used_fields.add(variables[name])
        elif name in standins and helpers.standin(name):
            new_code = helpers.standin(name)
            chosen[name] = (-1, list(helpers.STANDINS).index(name), new_code)
        elif name in definitions:
            rank, piece = definitions[name]
            if id(piece) not in chosen:
                new_code = rewritten(piece).source
                chosen[id(piece)] = (rank, _position(piece, lessons, main), new_code)
        elif name in imports:
            import_lines.add(imports[name])
        else:
            raise source.NotebookSourceError(
                f"{main.path} : le carnet utilise « {name} », que ni le module, ni ses "
                "imports, ni les équivalents des outils du paquet (notebooks/helpers.py) "
                "ne définissent.")
        if new_code:
            pending += sorted(source.free_names(new_code) - seen)
    lesson.helpers = [code for _, _, code in sorted(chosen.values(), key=lambda c: c[:2])]
    lesson.fields = [f for f in fields if f in used_fields or f == "seed"]
    lesson.imports = sorted(import_lines | source.eager_imports(main))


def _position(piece: source.Piece, lessons: dict, main) -> int:
    """Where the piece's code is in its module, to keep the modules' order."""
    module_source = next((m for m in [*lessons.values(), main] if m.file == piece.file), main)
    first_line = piece.source.split("\n")[0]
    return module_source.text.find(first_line)
