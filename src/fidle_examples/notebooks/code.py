"""The code of an example's notebook, read from the example module's source.

The notebook runs what `run(config, ctx)` runs, at top level, in this order:
- the snippet sections written at module level (helper functions), in source order;
- the body of run(), split into one cell per snippet section (the code the site shows)
  and one per stretch of code between sections; the part that builds the Result
  (`result = Result(...)` to the end) is a cell of its own, its `return` dropped.
The names these cells use without defining them become the imports of a set-up cell,
taken from the module's own import statements (or from the module itself, for its
helpers). Only the source is read: nothing is imported, so no Keras start-up.
"""

from __future__ import annotations

import ast
import builtins
import re
import symtable
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from fidle_examples.core.errors import FidleError

_START = re.compile(r"^(?P<indent>[ \t]*)# --8<-- \[start:(?P<name>[\w-]+)\][ \t]*$")
_END = re.compile(r"^(?P<indent>[ \t]*)# --8<-- \[end:(?P<name>[\w-]+)\][ \t]*$")
_PACKAGE = "fidle_examples"


@dataclass(frozen=True)
class Cell:
    source: str
    section: str | None = None  # snippet section shown on the site; None for other code
    builds_result: bool = False  # the cell that assembles the Result (metrics, figures)


@dataclass
class ExampleCode:
    module: str  # "mnist": the file src/fidle_examples/examples/mnist.py
    config_name: str  # run()'s parameter names, bound by the set-up cell
    context_name: str
    result_name: str  # the variable run() returns
    cells: list[Cell] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)  # import lines, grouped and sorted
    figures: list[tuple[str, str]] = field(default_factory=list)  # (name, title)
    docstring: str = ""  # the module's, in French: what the example does

    def code(self) -> str:
        return "\n\n".join(cell.source for cell in self.cells)


class NotebookSourceError(FidleError):
    """The example's source does not follow the layout the notebook generator expects."""


def read(module: str, path: Path) -> ExampleCode:
    """The notebook code of the example module `module`, whose source is `path`."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    lines = source.split("\n")
    run = next((node for node in tree.body
                if isinstance(node, ast.FunctionDef) and node.name == "run"), None)
    if run is None or len(run.args.args) != 2:
        raise NotebookSourceError(f"{path} : pas de fonction run(config, ctx) à deux paramètres.")
    config_name, context_name = (arg.arg for arg in run.args.args)
    last = run.body[-1]
    if not (isinstance(last, ast.Return) and isinstance(last.value, ast.Name)):
        raise NotebookSourceError(f"{path} : run() doit se terminer par « return NOM ».")

    example = ExampleCode(module, config_name, context_name, last.value.id)
    example.cells = _module_sections(lines, run, path) + _run_cells(lines, run, path)
    for cell in example.cells:
        try:
            ast.parse(cell.source)
        except SyntaxError as error:
            raise NotebookSourceError(
                f"{path} : la cellule « {cell.section or cell.source.splitlines()[0]} » "
                f"n'est pas du Python complet ({error.msg}, ligne {error.lineno}) ; les "
                "marqueurs de section doivent encadrer des instructions entières.") from None
    wanted = free_names(example.code()) - {config_name, context_name}
    example.imports = _imports_for(wanted, tree, module, path)
    example.figures = _figures(tree)
    example.docstring = (ast.get_docstring(tree) or "").strip()
    return example


def _sections(lines: list[str], first: int, last: int, path: Path):
    """(name, indent, start, end) of the snippet sections between 0-based lines first..last;
    start and end are the marker lines."""
    found, open_ = [], None
    for number in range(first, last + 1):
        start, end = _START.match(lines[number]), _END.match(lines[number])
        if start:
            if open_:
                raise NotebookSourceError(
                    f"{path}:{number + 1} : section « {start['name']} » ouverte dans la "
                    f"section « {open_[0]} » : les sections imbriquées ne sont pas prises "
                    "en charge par les carnets.")
            open_ = (start["name"], start["indent"], number)
        elif end:
            if not open_ or end["name"] != open_[0]:
                raise NotebookSourceError(
                    f"{path}:{number + 1} : fin de section « {end['name']} » sans début.")
            found.append((*open_, number))
            open_ = None
    if open_:
        raise NotebookSourceError(f"{path} : la section « {open_[0]} » n'est pas fermée.")
    return found


def _text(lines: list[str]) -> str:
    return textwrap.dedent("\n".join(lines)).strip("\n")


def _module_sections(lines: list[str], run: ast.FunctionDef, path: Path) -> list[Cell]:
    """Sections at module level (before or after run()), in source order."""
    inside = range(run.lineno - 1, run.end_lineno)
    return [Cell(_text(lines[start + 1:end]), name)
            for name, indent, start, end in _sections(lines, 0, len(lines) - 1, path)
            if start not in inside and not indent]


def _run_cells(lines: list[str], run: ast.FunctionDef, path: Path) -> list[Cell]:
    body = run.body
    if isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None),
                                                     ast.Constant):
        body = body[1:]  # a docstring
    # Imports move to the set-up cell; the final `return` goes.
    dropped = {number for node in body
               if isinstance(node, (ast.Import, ast.ImportFrom, ast.Return))
               for number in range(node.lineno - 1, node.end_lineno)}
    builder = next((node.lineno - 1 for node in body if _creates_result(node)), None)
    first, last = body[0].lineno - 1, run.end_lineno - 1
    # Comments and markers right above the first statement belong to the body too.
    while first - 1 > run.lineno - 1 and lines[first - 1].strip().startswith("#"):
        first -= 1
    sections = {start: (name, end) for name, _, start, end in _sections(lines, first, last, path)}

    cells: list[Cell] = []
    chunk: list[str] = []

    def flush(section=None, builds=False):
        text = _text(chunk)
        if text.strip():
            cells.append(Cell(text, section, builds))
        chunk.clear()

    number = first
    while number <= last:
        if number in sections:
            flush()
            name, end = sections[number]
            chunk.extend(lines[n] for n in range(number + 1, end) if n not in dropped)
            flush(name)
            number = end + 1
            continue
        if number == builder:
            flush()
            chunk.extend(lines[n] for n in range(number, last + 1) if n not in dropped)
            flush(builds=True)
            break
        if number not in dropped:
            chunk.append(lines[number])
        number += 1
    flush()
    return cells


def _creates_result(node: ast.stmt) -> bool:
    """`result = Result(...)`: where the metrics and figures start being assembled."""
    return (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name) and node.value.func.id == "Result")


def free_names(code: str) -> set[str]:
    """Global names `code` reads but never binds at top level (builtins excepted)."""
    top = symtable.symtable(code, "<notebook>", "exec")
    bound = {s.get_name() for s in top.get_symbols()
             if s.is_assigned() or s.is_imported() or s.is_namespace()}
    read: set[str] = set()

    def visit(table: symtable.SymbolTable) -> None:
        for symbol in table.get_symbols():
            if symbol.is_referenced() and (table is top or symbol.is_global()):
                read.add(symbol.get_name())
        for child in table.get_children():
            visit(child)

    visit(top)
    return read - bound - set(dir(builtins))


def _imports_for(names: set[str], tree: ast.Module, module: str, path: Path) -> list[str]:
    """Import lines that bind `names`, from the module's own imports (anywhere in it)
    or from the module itself for what it defines."""
    plain: dict[str, str] = {}  # bound name -> "import x as y"
    froms: dict[str, dict[str, str]] = {}  # module -> {bound name: "x as y"}
    known: dict[str, tuple[str | None, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                known.setdefault(bound, (None, f"import {alias.name}"
                                         + (f" as {alias.asname}" if alias.asname else "")))
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__" and not node.level:
            for alias in node.names:
                known.setdefault(alias.asname or alias.name, (
                    node.module, alias.name + (f" as {alias.asname}" if alias.asname else "")))
    defined = _module_level_names(tree)
    missing = []
    for name in sorted(names):
        if name in known:
            origin, text = known[name]
            if origin is None:
                plain[name] = text
            else:
                froms.setdefault(origin, {})[name] = text
        elif name in defined:
            froms.setdefault(f"{_PACKAGE}.examples.{module}", {})[name] = name
        else:
            missing.append(name)
    if missing:
        raise NotebookSourceError(
            f"{path} : les cellules du carnet utilisent {', '.join(missing)}, que le module "
            "n'importe ni ne définit.")
    return group_imports(list(plain.values())
                         + [f"from {origin} import {', '.join(sorted(items.values()))}"
                            for origin, items in froms.items()])


def group_imports(lines: list[str]) -> list[str]:
    """Import lines sorted in three groups (standard library, third party, this package),
    separated by an empty string."""
    def key(line: str):
        top = line.split()[1].split(".")[0]
        group = 0 if top in sys.stdlib_module_names else 2 if top == _PACKAGE else 1
        return group, line.startswith("from "), line.split()[1], line

    out, previous = [], None
    for line in sorted(set(lines), key=key):
        group = key(line)[0]
        if previous is not None and group != previous:
            out.append("")
        out.append(line)
        previous = group
    return out


def _module_level_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def _figures(tree: ast.Module) -> list[tuple[str, str]]:
    """(name, title) of every `add_figure("name", "title", ...)` of the module, in
    source order."""
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_figure" and len(node.args) >= 2
                and all(isinstance(a, ast.Constant) and isinstance(a.value, str)
                        for a in node.args[:2])):
            found.append((node.lineno, node.col_offset, node.args[0].value, node.args[1].value))
    return [(name, title) for _, _, name, title in sorted(found)]
