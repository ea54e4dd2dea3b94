"""The code of an example's notebook, read from the sources without importing them.

A notebook must run where `fidle_examples` is not installed, so the code of run(config,
ctx) is rewritten into plain top-level cells:
- `config.epochs` becomes the variable `EPOCHS` of the set-up cell;
- what only served the course's runner goes: the `ctx` and `config` parameters and
  arguments, keyword arguments and list items that use `ctx` (progress callbacks,
  verbosity), statements such as `ctx.check_finite(...)`; `ctx.workdir` becomes a fresh
  temporary folder;
- `return Result(metrics=..., ...)` becomes `metrics = ...`; the assignments after the
  last section that nothing reads any more (figure data) go.
The code of a section keeps its lines and comments: edits are made on the text, at
the positions the syntax tree gives.
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
PACKAGE = "fidle_examples"
CONFIG, CONTEXT = "config", "ctx"  # run()'s parameters, as every example names them
METRICS = "metrics"  # the notebook's dict of the run's measures
WORKDIR = "Path(tempfile.mkdtemp())"  # what ctx.workdir becomes: a fresh scratch folder


class NotebookSourceError(FidleError):
    """The example's source does not follow the layout the notebook generator expects."""


@dataclass
class Piece:
    """A code cell (or part of one) of the notebook."""

    source: str
    file: str  # the module it comes from, e.g. "mnist.py"
    section: str | None = None  # its snippet section, None for other code
    in_run: bool = False  # part of run()'s body (executes), else definitions


@dataclass
class ModuleSource:
    name: str  # "mnist" for src/fidle_examples/examples/mnist.py
    path: Path
    text: str
    tree: ast.Module
    sections: dict[str, Piece] = field(default_factory=dict)  # module-level sections

    @property
    def file(self) -> str:
        return self.path.name


def read_module(name: str, path: Path) -> ModuleSource:
    text = path.read_text(encoding="utf-8")
    module = ModuleSource(name, path, text, ast.parse(text))
    lines = text.split("\n")
    for section, indent, start, end in find_sections(lines, path):
        if not indent:
            module.sections[section] = Piece(_dedent(lines[start + 1:end]), module.file,
                                             section)
    return module


def find_sections(lines: list[str], path: Path, first: int = 0, last: int | None = None):
    """(name, indent, start, end) of the snippet sections between 0-based lines
    first..last; start and end are the lines of the markers."""
    found, open_ = [], None
    last = len(lines) - 1 if last is None else last
    for number in range(first, last + 1):
        start, end = _START.match(lines[number]), _END.match(lines[number])
        if start:
            if open_:
                raise NotebookSourceError(
                    f"{path}:{number + 1} : section « {start['name']} » ouverte dans la "
                    f"section « {open_[0]} » : les carnets ne prennent pas en charge les "
                    "sections imbriquées.")
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


def _dedent(lines: list[str]) -> str:
    return textwrap.dedent("\n".join(lines)).strip("\n")


# --- run()'s body -----------------------------------------------------------------------

def _run_function(tree: ast.Module) -> ast.FunctionDef | None:
    return next((node for node in tree.body
                 if isinstance(node, ast.FunctionDef) and node.name == "run"), None)


def run_pieces(module: ModuleSource) -> list[Piece]:
    """run()'s body as pieces, in order: its sections, and the code between them (imports
    left out: they go to the set-up cell). The final `return Result(...)` becomes
    `metrics = ...`, in the last piece."""
    run = _run_function(module.tree)
    if run is None or [a.arg for a in run.args.args] != [CONFIG, CONTEXT]:
        raise NotebookSourceError(f"{module.path} : pas de fonction run(config, ctx).")
    body = run.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # a docstring
    last = body[-1]
    if not (isinstance(last, ast.Return) and isinstance(last.value, ast.Call)
            and getattr(last.value.func, "id", None) == "Result"):
        raise NotebookSourceError(f"{module.path} : run() doit se terminer par "
                                  "« return Result(...) ».")
    lines = module.text.split("\n")
    dropped = {n for node in body if isinstance(node, (ast.Import, ast.ImportFrom, ast.Return))
               for n in range(node.lineno - 1, node.end_lineno)}
    first = body[0].lineno - 1
    floor = run.body[0].end_lineno if body is not run.body else run.lineno
    while first > floor and lines[first - 1].strip().startswith("#"):
        first -= 1  # comments (and markers) right above the first statement
    sections = {start: (name, end)
                for name, _, start, end in find_sections(lines, module.path, first,
                                                         run.end_lineno - 1)}
    pieces: list[Piece] = []
    chunk: list[str] = []

    def flush(section: str | None = None) -> None:
        text = _dedent(chunk)
        if text.strip():
            pieces.append(Piece(text, module.file, section, in_run=True))
        chunk.clear()

    number = first
    while number < run.end_lineno:
        if number in sections:
            flush()
            name, end = sections[number]
            chunk.extend(lines[n] for n in range(number + 1, end) if n not in dropped)
            flush(name)
            number = end + 1
            continue
        if number not in dropped:
            chunk.append(lines[number])
        number += 1
    metrics = next((k.value for k in last.value.keywords if k.arg == METRICS), None)
    if metrics is None:
        raise NotebookSourceError(f"{module.path} : le Result de run() n'a pas de "
                                  "« metrics= ».")
    if not (isinstance(metrics, ast.Name) and metrics.id == METRICS):
        segment = ast.get_source_segment(module.text, metrics)
        column = len(lines[metrics.lineno - 1].encode()[:metrics.col_offset].decode())
        indent = re.match(r"[ \t]*", lines[last.lineno - 1]).group()
        assignment = f"{METRICS} = " + _reindent(segment, column, len(indent + METRICS) + 3)
        chunk.extend(indent + line if i == 0 else line
                     for i, line in enumerate(assignment.split("\n")))
    flush()
    for piece in pieces:
        _check_complete(piece, module.path)
    return pieces


def _reindent(segment: str, old_column: int, new_column: int) -> str:
    """A multi-line expression moved from `old_column` to `new_column`: its continuation
    lines shift by the same amount."""
    first, *rest = segment.split("\n")
    shift = new_column - old_column
    moved = [(" " * shift + line) if shift >= 0 else line[min(-shift, len(line) -
                                                               len(line.lstrip())):]
             for line in rest]
    return "\n".join([first, *moved])


def _check_complete(piece: Piece, path: Path) -> None:
    try:
        ast.parse(piece.source)
    except SyntaxError as error:
        raise NotebookSourceError(
            f"{path} : la cellule « {piece.section or piece.source.splitlines()[0]} » "
            f"n'est pas du Python complet ({error.msg}, ligne {error.lineno}) ; les "
            "marqueurs de section doivent encadrer des instructions entières.") from None


def top_level_definitions(module: ModuleSource) -> dict[str, Piece]:
    """{name: the code that defines it} for the module's top-level functions, classes
    and assignments; a name defined in a section maps to the whole section."""
    lines = module.text.split("\n")
    in_section = {}
    for name, indent, start, end in find_sections(lines, module.path):
        if not indent:
            for number in range(start, end + 1):
                in_section[number] = module.sections[name]
    found: dict[str, Piece] = {}
    for node in module.tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        else:
            continue
        first = node.decorator_list[0].lineno if getattr(node, "decorator_list", None) \
            else node.lineno
        piece = in_section.get(node.lineno - 1)
        if piece is None:
            start = first - 1
            while start > 0 and lines[start - 1].startswith("#"):
                start -= 1  # the comment right above belongs to it
            piece = Piece(_dedent(lines[start:node.end_lineno]), module.file)
        for name in names:
            found[name] = piece
    return found


# --- rewriting: no ctx, no config --------------------------------------------------------

class _Text:
    """Character offsets of the (line, column) positions of the syntax tree, whose
    columns count UTF-8 bytes."""

    def __init__(self, text: str):
        self.text = text
        self.lines = text.split("\n")
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def at(self, line: int, column: int) -> int:
        return self.starts[line - 1] + len(self.lines[line - 1].encode()[:column].decode())

    def start(self, node) -> int:
        return self.at(node.lineno, node.col_offset)

    def end(self, node) -> int:
        return self.at(node.end_lineno, node.end_col_offset)


def _mentions(node: ast.AST | None, name: str) -> bool:
    return node is not None and any(isinstance(n, ast.Name) and n.id == name
                                    for n in ast.walk(node))


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _context_method(node: ast.AST | None) -> str | None:
    """"callbacks" for `ctx.callbacks(...)`: the method of the runner's context that
    `node` calls, if it is such a call."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == CONTEXT):
        return node.func.attr
    return None


class _Rewriter:
    """The edits that take ctx and config out of one piece of code."""

    def __init__(self, source: str, where: str):
        self.text = _Text(source)
        self.where = where
        self.edits: list[tuple[int, int, str]] = []

    def fail(self, node: ast.AST, what: str) -> None:
        line = self.text.lines[node.lineno - 1].strip()
        raise NotebookSourceError(f"{self.where} : {what} (« {line} ») : le générateur de "
                                  "carnets ne sait pas l'écrire sans le paquet.")

    # statements
    def body(self, statements: list[ast.stmt], owner: ast.AST | None = None) -> None:
        kept = [s for s in statements if not self.removable(s)]
        if not kept and owner is not None:  # a whole cell may go, not a block's body
            self.fail(owner, "un bloc qui ne ferait que des appels à ctx")
        for statement in statements:
            if statement in kept:
                self.statement(statement)
            else:
                self.remove_lines(statement)

    def removable(self, statement: ast.stmt) -> bool:
        """A call that only reports to the runner (ctx.check_finite, ctx.report_epoch),
        `model = ctx.reuse_traced(model)` (without the runner, the model itself), or a
        loop or test that only holds such statements."""
        if isinstance(statement, ast.Assign):
            call, targets = statement.value, statement.targets
            return (_context_method(call) == "reuse_traced"
                    and len(targets) == 1 and isinstance(targets[0], ast.Name)
                    and [ast.dump(a) for a in call.args]
                    == [ast.dump(ast.Name(targets[0].id, ast.Load()))] and not call.keywords)
        if isinstance(statement, ast.Expr):
            return _context_method(statement.value) is not None
        if isinstance(statement, (ast.For, ast.While, ast.If, ast.With)):
            return not getattr(statement, "orelse", None) and all(
                self.removable(s) for s in statement.body)
        return False

    def remove_lines(self, statement: ast.stmt) -> None:
        start = self.text.starts[statement.lineno - 1]
        end = self.text.starts[statement.end_lineno]
        self.edits.append((start, min(end, len(self.text.text)), ""))

    def statement(self, statement: ast.stmt) -> None:
        value = getattr(statement, "value", None)
        if isinstance(statement, ast.Assign) and _context_method(value) == "callbacks":
            # callbacks = ctx.callbacks(...): the list the example then extends.
            self.edits.append((self.text.start(value), self.text.end(value), "[]"))
            for target in statement.targets:
                self.expression(target)
            return
        for child in ast.iter_child_nodes(statement):
            if isinstance(child, ast.stmt):
                continue
            if isinstance(child, ast.arguments):
                self.parameters(child)
            elif isinstance(child, ast.expr) and not (
                    isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and child is statement.returns):
                self.expression(child)
        for name in ("body", "orelse", "finalbody"):
            block = getattr(statement, name, None)
            if block and isinstance(block[0], ast.stmt):
                self.body(block, statement)
        for handler in getattr(statement, "handlers", []):
            self.body(handler.body, handler)

    # expressions
    def expression(self, node: ast.AST) -> None:
        if isinstance(node, ast.Call):
            items = sorted([*node.args, *node.keywords], key=lambda n: (n.lineno, n.col_offset))
            self.remove_items(items, [self.unwanted_argument(i) for i in items], node)
            self.expression(node.func)
            for item in items:
                if not self.unwanted_argument(item):
                    self.expression(item.value if isinstance(item, ast.keyword) else item)
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            drop = [_mentions(e, CONTEXT) for e in node.elts]
            self.remove_items(node.elts, drop, node)
            for element, dropped in zip(node.elts, drop):
                if not dropped:
                    self.expression(element)
        elif isinstance(node, ast.Lambda):
            self.parameters(node.args)
            self.expression(node.body)
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id == CONTEXT):
            if node.attr != "workdir":
                self.fail(node, f"ctx.{node.attr} ailleurs que dans un argument")
            self.edits.append((self.text.start(node), self.text.end(node), WORKDIR))
        else:
            for child in ast.iter_child_nodes(node):
                self.expression(child)

    def unwanted_argument(self, item: ast.AST) -> bool:
        """config or ctx itself, or a value made from ctx (callbacks=ctx.callbacks(...),
        verbose=ctx.verbose); a list of callbacks only loses its items from ctx."""
        value = item.value if isinstance(item, ast.keyword) else item
        if isinstance(value, ast.Name):
            return value.id in (CONFIG, CONTEXT)
        if isinstance(value, (ast.List, ast.Tuple)) and value.elts:
            return all(self.unwanted_argument(e) for e in value.elts)
        return _mentions(value, CONTEXT)

    def parameters(self, arguments: ast.arguments) -> None:
        if any(a.arg in (CONFIG, CONTEXT) for a in arguments.kwonlyargs):
            self.fail(arguments.kwonlyargs[0], "un paramètre config ou ctx nommé")
        params = [*arguments.posonlyargs, *arguments.args]
        defaults = dict(zip(params[len(params) - len(arguments.defaults):], arguments.defaults))
        drop = [p.arg in (CONFIG, CONTEXT) for p in params]
        for param, dropped in zip(params, drop):
            if dropped and param in defaults:
                self.fail(param, f"un paramètre {param.arg} avec une valeur par défaut")
        ends = {id(p): defaults[p] for p in params if p in defaults}
        self.remove_items(params, drop, None, ends)
        for default in arguments.defaults:
            self.expression(default)

    def remove_items(self, items: list, drop: list[bool], owner, ends=None) -> None:
        """Delete the items marked in `drop` from a comma-separated list (arguments,
        parameters, elements), with their commas, keeping the layout of the rest: an
        item's trailing comment stays with it, the previous item's with the previous."""
        ends = ends or {}
        text = self.text.text

        def end(i):
            return self.text.end(ends.get(id(items[i]), items[i]))

        i = 0
        while i < len(items):
            if not drop[i]:
                i += 1
                continue
            j = i
            while j + 1 < len(items) and drop[j + 1]:
                j += 1
            start = self.text.start(items[i])
            if i == 0:
                stop = self.text.start(items[j + 1]) if j + 1 < len(items) else end(j)
                self.edits.append((start, stop, ""))
            else:
                gap = text[end(i - 1):start]
                if "#" not in gap:
                    self.edits.append((end(i - 1), end(j), ""))
                elif j + 1 < len(items):
                    self.edits.append((start, self.text.start(items[j + 1]), ""))
                else:
                    # The last items go, but the previous one has a comment: keep it at
                    # the end of the line, after what closes the list.
                    line_end = text.find("\n", end(j))
                    line_end = len(text) if line_end < 0 else line_end
                    closing = text[end(j):line_end]
                    if "#" in closing:
                        self.fail(items[j], "une liste qui se termine par un commentaire")
                    comment = gap[gap.index("#"):].split("\n")[0].rstrip()
                    self.edits.append((end(i - 1), line_end, f"{closing}  {comment}"))
            i = j + 1


def rewrite(source: str, fields: set[str], where: str) -> str:
    """`source` without ctx and config: see the module's docstring."""
    rewriter = _Rewriter(source, where)
    rewriter.body(ast.parse(source).body)
    source = _apply(source, rewriter.edits)
    # Then config.NAME -> NAME (upper case); any other use of config or ctx is an error.
    text, edits = _Text(source), []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == CONFIG):
            if node.attr not in fields:
                raise NotebookSourceError(f"{where} : « config.{node.attr} » n'est pas un "
                                          "champ de Config.")
            edits.append((text.start(node), text.end(node), variable(node.attr)))
    source = _apply(source, edits)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and node.id in (CONFIG, CONTEXT, "Config"):
            line = source.split("\n")[node.lineno - 1].strip()
            raise NotebookSourceError(
                f"{where} : « {node.id} » est utilisé autrement que par config.CHAMP ou en "
                f"argument (« {line} ») : le générateur de carnets ne sait pas l'écrire sans "
                "le paquet.")
    return source


def variable(field_name: str) -> str:
    """The set-up cell's variable for a Config field: epochs -> EPOCHS."""
    return field_name.upper()


# --- names ----------------------------------------------------------------------------

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


def read_names(code: str | ast.AST) -> set[str]:
    """Every name `code` (source or tree) reads, at any depth."""
    tree = ast.parse(code) if isinstance(code, str) else code
    return {n.id for n in ast.walk(tree)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def drop_unused(piece: Piece, read_later: set[str]) -> Piece:
    """`piece` without its top-level assignments to names nothing reads afterwards
    (what run() only kept for its figures), with the comments right above them."""
    tree = ast.parse(piece.source)
    lines = piece.source.split("\n")
    removed: set[int] = set()
    wanted = set(read_later)
    for statement in reversed(tree.body):
        targets = statement.targets if isinstance(statement, ast.Assign) else []
        names = [n for t in targets for n in ast.walk(t)]
        if targets and all(isinstance(n, (ast.Name, ast.Tuple, ast.Store)) for n in names) \
                and not {n.id for n in names if isinstance(n, ast.Name)} & wanted:
            first = statement.lineno - 1
            while first > 0 and lines[first - 1].strip().startswith("#"):
                first -= 1
            removed.update(range(first, statement.end_lineno))
            continue
        wanted |= {n.id for n in ast.walk(statement)
                   if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    kept = "\n".join(line for n, line in enumerate(lines) if n not in removed)
    return Piece(re.sub(r"\n{3,}", "\n\n", kept).strip("\n"), piece.file, piece.section,
                 piece.in_run)


def imports_of(tree: ast.Module) -> dict[str, str]:
    """{bound name: import line} for every import of a module (at any depth), except the
    package's own."""
    known: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                known.setdefault(alias.asname or alias.name.split(".")[0],
                                 f"import {alias.name}"
                                 + (f" as {alias.asname}" if alias.asname else ""))
        elif (isinstance(node, ast.ImportFrom) and node.module and not node.level
              and node.module != "__future__" and not node.module.startswith(PACKAGE)):
            for alias in node.names:
                known.setdefault(alias.asname or alias.name,
                                 f"from {node.module} import {alias.name}"
                                 + (f" as {alias.asname}" if alias.asname else ""))
    return known


EAGER_COMMENT = "  # loaded here, before any clock starts"


def eager_imports(module: ModuleSource) -> set[str]:
    """The imports of run()'s own statements (not those under if/with/def, which
    run_pieces keeps in the cells) whose names run() never reads, nested functions
    included: made for their cost (svm-vs-dnn loads scikit-learn before its first clock).
    run_pieces leaves them out; the notebook's set-up cell makes them, one name a line.
    As in imports_of, the package's own and relative imports are never written: a
    notebook cannot make them."""
    run = _run_function(module.tree)
    if run is None:
        return set()
    own = ast.Module(body=[node for node in run.body
                           if isinstance(node, (ast.Import, ast.ImportFrom))], type_ignores=[])
    read = read_names(run)
    return {line + EAGER_COMMENT for name, line in imports_of(own).items() if name not in read}


def package_imports(tree: ast.Module) -> dict[str, str]:
    """{bound name: module} of what a module imports from the package."""
    return {alias.asname or alias.name: node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE)
            for alias in node.names}


def imported_modules(code: str) -> set[str]:
    """Top-level names of the modules `code` imports, at any depth."""
    found = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def group_imports(lines: list[str]) -> list[str]:
    """Import lines sorted in two groups (standard library, then the rest), separated
    by an empty string."""
    def key(line: str):
        top = line.split()[1].split(".")[0]
        return top not in sys.stdlib_module_names, line.startswith("from "), line.split()[1], line

    out, previous = [], None
    for line in sorted(set(lines), key=key):
        group = key(line)[0]
        if previous is not None and group != previous:
            out.append("")
        out.append(line)
        previous = group
    return out
