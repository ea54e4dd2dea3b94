"""MkDocs plugin `fidle-examples`: the pages show the results of real runs.

During `mkdocs build` / `mkdocs serve`:
- on_pre_build: read the Markdown sources, find which examples the markers ask for,
  load each Result from the cache or train it (in a child process, see buildworker.py),
  before MkDocs empties site_dir, so that a failure keeps the previous site;
- on_files: add the figures as generated files (nothing is written under docs/);
- on_page_markdown: replace the markers with figures, tables, numbers and the
  provenance box. Blocks go through Markdown as a placeholder paragraph and are put
  in place in on_page_content: raw HTML would not survive inside a list, an
  admonition or a content tab, where Markdown wraps it in <p>.

    plugins:
      - fidle-examples:
          profile: full      # or quick; FIDLE_EXAMPLES_PROFILE overrides it
          enabled: true      # FIDLE_EXAMPLES_ENABLED=0 turns the plugin off
"""

from __future__ import annotations

import logging
import math
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, get_files
from mkdocs.utils import get_relative_url

from fidle_examples.plugin import buildworker, cache, markers, pagehtml
from fidle_examples.core import frenchfmt, registry
from fidle_examples.core.config import PROFILES
from fidle_examples.core.errors import FidleError
from fidle_examples.core.results import Result

log = logging.getLogger("mkdocs.plugins.fidle_examples")

ENV_PROFILE = "FIDLE_EXAMPLES_PROFILE"
ENV_ENABLED = "FIDLE_EXAMPLES_ENABLED"
FIGURES_DIR = "generated"
_TRUE = {"1", "true", "oui", "yes", "on"}
_FALSE = {"0", "false", "non", "no", "off"}


class _Options(Config):
    profile = c.Choice(PROFILES, default="full")
    enabled = c.Type(bool, default=True)


@dataclass
class _Loaded:
    result: Result
    key: str
    trained: bool  # trained by this build (or this `mkdocs serve` session)


class FidleExamplesPlugin(BasePlugin[_Options]):
    def __init__(self):
        # Results already read or trained, kept across the rebuilds of `mkdocs serve`
        # (the presence of on_startup makes MkDocs keep this instance).
        self._memory: dict[tuple, _Loaded] = {}
        self._loaded: dict[str, _Loaded] = {}
        self._figures: dict[tuple[str, str], File] = {}
        self._blocks: dict[str, dict[str, str]] = {}  # page -> {placeholder: HTML}
        self._nonce = secrets.token_hex(6)
        self._active = True
        self._profile = "full"
        self._project = Path.cwd()
        self._results: cache.ResultsCache | None = None

    def on_startup(self, *, command, dirty):
        pass

    # --- settings -----------------------------------------------------------------
    def on_config(self, config):
        self._active = _env_flag(ENV_ENABLED, self.config.enabled)
        self._profile = os.environ.get(ENV_PROFILE) or self.config.profile
        if self._profile not in PROFILES:
            raise PluginError(
                f"{ENV_PROFILE} vaut « {self._profile} » : profils possibles "
                f"{', '.join(PROFILES)}.")
        self._project = Path(config.config_file_path or ".").resolve().parent
        self._results = cache.ResultsCache(cache.default_root(self._project))
        if not self._active:
            log.info("Greffon fidle-examples désactivé : les marqueurs restent tels quels.")
        return config

    # --- which examples, loaded or trained ------------------------------------------
    def on_pre_build(self, config):
        """Scan the pages, load or train their examples and check the markers before
        MkDocs empties site_dir: a bad marker or a failing example then leaves the
        previous site as it was."""
        self._loaded, self._figures, self._blocks = {}, {}, {}
        if not self._active:
            return
        wanted = self._scan(get_files(config))
        self._loaded = self._load(sorted(wanted, key=registry.names().index))
        self._check(wanted)

    def on_files(self, files: Files, config):
        if self._active:
            self._add_figures(self._loaded, files, config)
        return files

    def _add(self, names: list[str], files: Files, config) -> None:
        """Load (or train) `names` and add their figures to the site's files."""
        loaded = self._load(names)
        self._loaded.update(loaded)
        self._add_figures(loaded, files, config)

    def _add_figures(self, loaded: dict[str, _Loaded], files: Files, config) -> None:
        for name, entry in loaded.items():
            for figure in entry.result.figures.values():
                uri = f"{FIGURES_DIR}/{name}/{figure.name}.svg"
                if files.get_file_from_path(uri) is not None:
                    raise PluginError(
                        f"Le fichier « {config.docs_dir}/{uri} » existe : le dossier "
                        f"« {FIGURES_DIR}/ » de docs/ est réservé aux figures produites à la "
                        "construction. Supprimez-le ou renommez-le.")
                file = File.generated(config, uri, content=figure.svg.encode("utf-8"))
                files.append(file)
                self._figures[name, figure.name] = file

    def _scan(self, files: Files) -> dict[str, list[tuple[str, markers.Marker]]]:
        """{example: [(page path, marker)]} from the Markdown sources, all errors at once."""
        wanted: dict[str, list[tuple[str, markers.Marker]]] = {}
        errors: list[str] = []
        for file in files.documentation_pages():
            if not file.src_uri.endswith(".md"):
                continue
            where = self._where(file)
            found, malformed = markers.scan(file.content_string)
            errors += [f"{where}, ligne {error.line} : {error}" for error in malformed]
            for marker in found:
                problem = _missing_example(marker.name)
                if problem:
                    errors.append(f"{where}, ligne {marker.line} : {problem} "
                                  f"(marqueur « {marker.text} »)")
                else:
                    wanted.setdefault(marker.name, []).append((where, marker))
        _raise_all(errors)
        return wanted

    def _where(self, file: File) -> str:
        if file.abs_src_path:
            try:
                return Path(file.abs_src_path).resolve().relative_to(self._project).as_posix()
            except ValueError:
                return file.abs_src_path
        return file.src_uri

    def _check(self, wanted) -> None:
        errors = []
        for name, uses in wanted.items():
            for where, marker in uses:
                try:
                    pagehtml.check(marker, self._loaded[name].result)
                except markers.MarkerError as error:
                    errors.append(f"{where}, ligne {error.line} : {error}")
        _raise_all(errors)

    def _load(self, names: list[str]) -> dict[str, _Loaded]:
        versions = cache.library_versions()
        fingerprints = {name: cache.fingerprint(registry.get(name), self._profile, versions)
                        for name in names}
        loaded: dict[str, _Loaded] = {}
        missing = []
        for name in names:
            memory_key = (self._results.root, name, self._profile, fingerprints[name])
            if memory_key in self._memory:
                loaded[name] = self._memory[memory_key]
                log.debug("« %s » : résultats déjà en mémoire.", name)
                continue
            key = self._results.key_for(name, self._profile, fingerprints[name])
            result = key and self._results.load(name, self._profile, key)
            if result:
                log.info("« %s » : résultats relus depuis le cache (entraînement du %s, %s).",
                         name, pagehtml.french_date(result.date), result.device)
                loaded[name] = self._memory[memory_key] = _Loaded(result, key, False)
            else:
                missing.append(name)
        if missing:
            loaded.update(self._train(missing, fingerprints))
        return {name: loaded[name] for name in names}

    def _train(self, names: list[str], fingerprints: dict[str, str]) -> dict[str, _Loaded]:
        log.info("Exemples à entraîner (profil %s) : %s. Cache : %s", self._profile,
                 ", ".join(names), self._results.root)
        done: dict[str, dict] = {}
        on_event = _EventLogger(done)
        try:
            buildworker.run(names, self._profile, self._results.root, on_event,
                            on_output=lambda line: log.debug("  %s", line))
        except buildworker.WorkerError as error:
            if error.details:  # a bug rather than a FidleError: the traceback helps
                log.error("Trace de l'erreur de « %s » :\n%s", error.example, error.details)
            message = str(error).rstrip()
            raise PluginError(
                f"L'exemple « {error.example} » a échoué pendant la construction du site : "
                f"{message}{'' if message.endswith('.') else '.'} Aucune figure ni aucun "
                "résultat ancien n'est affiché à la place.") from None
        loaded = {}
        for name in names:
            key = done[name]["key"]
            result = self._results.load(name, self._profile, key)
            if result is None:
                raise PluginError(
                    f"Le résultat de « {name} » vient d'être calculé mais est illisible dans "
                    f"« {self._results.entry(name, self._profile, key)} » (une autre "
                    "construction l'a peut-être supprimé). Relancez la construction.")
            loaded[name] = _Loaded(result, key, done[name]["trained"])
            # Remember it only if it is the entry of the code this build fingerprinted.
            if self._results.key_for(name, self._profile, fingerprints[name]) == key:
                self._memory[(self._results.root, name, self._profile,
                              fingerprints[name])] = loaded[name]
        return loaded

    # --- pages ----------------------------------------------------------------------
    def on_page_markdown(self, markdown: str, page, config, files):
        if not self._active:
            return markdown
        if markers.MARK not in markdown:
            return markdown
        blocks = self._blocks[page.file.src_uri] = {}
        rendered = []

        def render(marker):
            rendered.append(marker)
            html = self._render(marker, page)
            if marker.kind not in markers.BLOCK_KINDS:
                return html
            return self._placeholder(blocks, html)

        try:
            self._add_late(markdown, files, config)
            markdown = markers.replace(markdown, render)
        except markers.MarkerError as error:
            raise PluginError(f"{self._where(page.file)}, ligne "
                              f"{error.line + _front_matter_lines(page, markdown)} : "
                              f"{error}") from None
        if self._profile == "quick" and rendered:
            markdown = markers.insert_after_title(
                markdown, self._placeholder(blocks, pagehtml.quick_warning()))
        return markdown

    def _placeholder(self, blocks: dict[str, str], html: str) -> str:
        """A word Markdown leaves alone; on_page_content swaps it for `html`."""
        placeholder = f"fidle{self._nonce}b{len(blocks)}e"  # "e": b1e is no prefix of b10e
        blocks[placeholder] = html
        return placeholder

    def on_page_content(self, html: str, page, config, files):
        for placeholder, block in self._blocks.pop(page.file.src_uri, {}).items():
            html = html.replace(f"<p>{placeholder}</p>", block).replace(placeholder, block)
        return html

    def _add_late(self, markdown: str, files: Files, config) -> None:
        """Examples asked for by markers on_files did not see: the page was edited during
        the build, or another plugin wrote them. Figures can still be added here: MkDocs
        copies the files after reading every page."""
        late: dict[str, markers.Marker] = {}
        for marker in markers.scan(markdown)[0]:
            if marker.name not in self._loaded:
                problem = _missing_example(marker.name)
                if problem:
                    raise markers.MarkerError(marker.line, f"{problem} (marqueur "
                                                           f"« {marker.text} »)")
                late.setdefault(marker.name, marker)
        if late:
            self._add(sorted(late, key=registry.names().index), files, config)

    def _render(self, marker: markers.Marker, page) -> str:
        loaded = self._loaded[marker.name]
        result = loaded.result
        pagehtml.check(marker, result)
        if marker.kind == "metric":
            return pagehtml.metric_text(result, marker.item)
        if marker.kind == "config":
            return pagehtml.config_text(result, marker.item)
        if marker.kind == "metrics":
            return pagehtml.metrics_table(result)
        if marker.kind == "provenance":
            return pagehtml.provenance(result, loaded.trained)
        srcs = {name: get_relative_url(self._figures[marker.name, name].url, page.file.url)
                for name in result.figures}
        if marker.kind == "figure":
            return pagehtml.figure(result, marker.item, srcs[marker.item])
        return pagehtml.results_block(result, srcs, loaded.trained)


class _EventLogger:
    """Logs the child's events; records the `done` ones into `done`."""

    def __init__(self, done: dict[str, dict]):
        self.done = done

    def __call__(self, event: dict) -> None:
        name, kind = event["example"], event["event"]
        if kind == "training":
            settings = ", ".join(f"{k}={v}" for k, v in event["config"].items())
            log.info("« %s » : entraînement (profil %s ; %s)…", name, event["profile"],
                     settings)
        elif kind == "epoch":
            epoch, epochs = event["epoch"], event["epochs"]
            step = max(1, math.ceil(epochs / 10))  # about ten lines per example
            if epoch in (1, epochs) or epoch % step == 0:
                logs = " ; ".join(f"{k} {frenchfmt.number(v, 4)}"
                                  for k, v in list(event["logs"].items())[:4])
                log.info("« %s » : époque %d/%d — %s", name, epoch, epochs, logs)
        elif kind == "waiting":
            log.info("« %s » : une autre construction l'entraîne déjà ; attente de son "
                     "résultat…", name)
        elif kind == "warning":
            log.warning("« %s » : %s", name, event["message"])
        elif kind == "done":
            self.done[name] = event
            if event["trained"]:
                log.info("« %s » : entraîné en %s sur %s.", name,
                         frenchfmt.duration(event["duration_s"]), event["device"])
            else:
                log.info("« %s » : résultat trouvé dans le cache (calculé par une autre "
                         "construction).", name)


def _missing_example(name: str) -> str | None:
    """Why `name` cannot be used (unknown, or its module not written yet), or None."""
    try:
        spec = registry.get(name)
    except FidleError as error:
        return str(error)
    if not (cache.package_dir() / "examples" / f"{spec.module}.py").is_file():
        return (f"l'exemple « {name} » est dans le registre mais son module "
                f"« fidle_examples/examples/{spec.module}.py » n'existe pas encore")
    return None


def _raise_all(errors: list[str]) -> None:
    if errors:
        raise PluginError("Marqueurs de résultats invalides :\n  " + "\n  ".join(errors))


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in _TRUE | _FALSE:
        return value in _TRUE
    raise PluginError(f"{name} vaut « {value} » : valeurs possibles 1 ou 0 "
                      "(true/false, oui/non).")


def _front_matter_lines(page, markdown: str) -> int:
    """Lines of YAML front matter MkDocs removed before on_page_markdown."""
    try:
        source = page.file.content_string
    except (OSError, TypeError):
        return 0
    return source[: len(source) - len(markdown)].count("\n") if source.endswith(markdown) else 0
