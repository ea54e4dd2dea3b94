"""MkDocs plugin `fidle-examples`: the pages show the results of real runs.

The events only; each job has its module:
- on_pre_build: read the Markdown sources, check every marker against the examples'
  declarations (checks.py, seconds, before any training), then load each result
  from the cache or train it on a pool of worker processes and draw its figures
  apart (the build/ layer: build/loading.py), all before MkDocs empties site_dir,
  so that a failure keeps the previous site;
- during `mkdocs serve` (on_startup says so), on_pre_build waits for nothing: the
  pages show the examples already in the cache, and a placeholder for the others
  (which example, how many are ready, the command that trains it), which train on the
  same pool in a background thread; each example whose results and figures arrive
  marks a file that MkDocs' live-reload server watches (on_serve), so that the site
  is rebuilt and the browsers reload; a failing example shows its French error on its
  pages and in the terminal, and is trained again once its code changes;
- on_files: add the figures as generated files (nothing is written under docs/);
- on_page_markdown: replace the markers with figures, tables, numbers, ranges,
  claims and the provenance box (pagehtml.py). Blocks go through Markdown as a
  placeholder paragraph and are put in place in on_page_content: raw HTML would not
  survive inside a list, an admonition or a content tab, where Markdown wraps it.

    plugins:
      - fidle-examples:
          profile: full      # or quick; FIDLE_EXAMPLES_PROFILE overrides it
          enabled: true      # FIDLE_EXAMPLES_ENABLED=0 turns the plugin off
          cache_dir: .cache/fidle-examples  # FIDLE_EXAMPLES_CACHE overrides it
          workers: 0         # 0: one per core (or per GPU); FIDLE_EXAMPLES_WORKERS overrides it
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, get_files
from mkdocs.utils import get_relative_url

from fidle_examples.core import config as config_mod
from fidle_examples.core import reference, registry
from fidle_examples.core.config import PROFILES
from fidle_examples.core.errors import FidleError
from fidle_examples.build import explorer, keys, pool
from fidle_examples.build.loading import Loaded, Loader
from fidle_examples.build.storage import DEFAULT_DIR, ResultsCache, default_root
from fidle_examples.plugin import checks, markers, pagehtml, quiz

log = logging.getLogger("mkdocs.plugins.fidle_examples")

ENV_PROFILE = "FIDLE_EXAMPLES_PROFILE"
ENV_ENABLED = "FIDLE_EXAMPLES_ENABLED"
FIGURES_DIR = "generated"
_TRUE = {"1", "true", "oui", "yes", "on"}
_FALSE = {"0", "false", "non", "no", "off"}


class _Options(Config):
    profile = c.Choice(PROFILES, default="full")
    enabled = c.Type(bool, default=True)
    strict_claims = c.Type(bool, default=True)  # a false claim fails a --strict full build
    cache_dir = c.Type(str, default=DEFAULT_DIR.as_posix())  # relative to mkdocs.yml
    workers = c.Type(int, default=0)  # training and drawing processes; 0: the default rule


class FidleExamplesPlugin(BasePlugin[_Options]):
    def __init__(self):
        self._loaded: dict[str, Loaded] = {}
        self._figures: dict[tuple[str, str], File] = {}
        self._blocks: dict[str, dict[str, str]] = {}  # page -> {placeholder: HTML}
        self._nonce = secrets.token_hex(6)
        self._active = True
        self._profile = "full"
        self._project = Path.cwd()
        self._loader: Loader | None = None
        # `mkdocs serve`: pages first, trainings behind (on_pre_build, _serve).
        self._serving = False
        self._signal_dir: Path | None = None
        self._background: threading.Thread | None = None
        self._busy = False  # the background thread has not handed over its last result
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._failed: dict[str, tuple[str, str]] = {}  # name -> (fingerprint, message)
        self._waiting: dict[str, str | None] = {}  # name -> None (training) or its error
        self._progress = (0, 0)  # examples ready, examples the pages use
        self._todo: dict = {}  # what the background thread is to train after this build

    def on_startup(self, *, command, dirty):
        # Its presence also makes MkDocs keep this instance (and its memory) in serve.
        self._serving = command == "serve"

    def on_serve(self, server, config, builder):
        """A folder the live-reload server watches: marking a file in it when results
        arrive rebuilds the site and reloads the browsers, as an edited page does."""
        if self._serving:
            self._signal_dir = Path(tempfile.mkdtemp(prefix="fidle-serve-"))
            server.watch(str(self._signal_dir))
        return server

    def on_shutdown(self):
        self._stop.set()
        background = self._background
        if background is not None:
            background.join(timeout=30)  # its workers are killed within a second
        if self._signal_dir is not None:
            shutil.rmtree(self._signal_dir, ignore_errors=True)

    # --- settings -----------------------------------------------------------------
    def on_config(self, config):
        self._active = _env_flag(ENV_ENABLED, self.config.enabled)
        profile = os.environ.get(ENV_PROFILE) or self.config.profile
        if profile not in PROFILES:
            raise PluginError(f"{ENV_PROFILE} vaut « {profile} » : profils possibles "
                              f"{', '.join(PROFILES)}.")
        self._project = Path(config.config_file_path or ".").resolve().parent
        root = default_root(self._project, self.config.cache_dir)
        if self.config.workers < 0:
            raise PluginError(f"L'option workers du greffon fidle-examples vaut "
                              f"{self.config.workers} : indiquez 0 (un processus par cœur, ou "
                              "par GPU) ou un nombre de processus, au moins 1.")
        workers = self.config.workers or None
        same = (self._loader and self._loader.results.root == root
                and self._loader.profile == profile and self._loader.workers == workers)
        if not same:  # keep the loader's memory across the rebuilds of `mkdocs serve`
            self._loader = Loader(ResultsCache(root), profile,
                                  reference.default_dir(self._project), workers)
        self._profile = profile
        self._strict = bool(config.strict) and profile == "full" and self.config.strict_claims
        if not self._active:
            log.info("Greffon fidle-examples désactivé : les marqueurs restent tels quels.")
        return config

    # --- markers checked, examples loaded or trained ---------------------------------
    def on_pre_build(self, config):
        """Check the markers, then load or train their examples and draw the figures,
        before MkDocs empties site_dir: a bad marker or a failing example then leaves
        the previous site as it was."""
        self._loaded, self._figures, self._blocks = {}, {}, {}
        if not self._active:
            return
        modules = self._checked_modules(get_files(config))
        self._waiting = {}
        try:
            self._loaded = (self._serve(modules) if self._serving
                            else self._loader.load(modules))
        except FidleError as error:
            raise PluginError(str(error)) from None
        self._report_claims()

    # --- `mkdocs serve`: pages first, trainings behind --------------------------------
    def _serve(self, modules: dict) -> dict[str, Loaded]:
        """The examples ready now; the others are trained and drawn by a background
        thread (one at a time: the next rebuild starts one for what is still missing)."""
        ready = self._loader.available(modules)
        missing = [name for name in modules if name not in ready]
        with self._lock:
            for name in missing:
                failure = self._failed.get(name)
                if failure and failure[0] == self._fingerprint(name):
                    self._waiting[name] = failure[1]  # same code: the same failure
                else:
                    self._failed.pop(name, None)
                    self._waiting[name] = None
            self._todo = {n: modules[n] for n in missing if self._waiting[n] is None}
        self._progress = (len(ready), len(modules))
        return ready

    def on_post_build(self, config):
        """`mkdocs serve`: the trainings start once the pages are written, so that they
        do not slow the first build down (the server answers right after it)."""
        with self._lock:
            todo, self._todo = self._todo, {}
            start = bool(todo) and not self._busy
            if start:
                self._busy = True
        if start:
            ready, total = self._progress
            log.info("Pages servies sans attendre : %d/%d exemples prêts ; %s en arrière-plan "
                     "(profil %s), et chaque page se rechargera d'elle-même à l'arrivée de "
                     "ses résultats.", ready, total,
                     f"« {next(iter(todo))} » s'entraîne" if len(todo) == 1 else
                     f"les {len(todo)} autres s'entraînent", self._profile)
            self._background = threading.Thread(target=self._train_behind, args=(todo,),
                                                name="fidle-serve", daemon=True)
            self._background.start()

    def _train_behind(self, modules: dict) -> None:
        def ready(name: str, entry: Loaded) -> None:
            log.info("« %s » : résultats prêts, les pages qui les montrent vont se recharger.",
                     name)
            self._signal()

        def failed(name: str, message: str) -> None:
            with self._lock:
                self._failed[name] = (self._fingerprint(name), message)
            self._signal()

        try:
            self._loader.load(modules, keep_going=True, on_ready=ready, on_failed=failed,
                              stop=self._stop)
        except pool.Stopped:
            return
        except Exception as error:  # the cache unwritable, say: every page must say it
            message = (str(error) if isinstance(error, FidleError) else
                       f"{error.__class__.__name__} : {error}")
            log.error("Entraînement en arrière-plan interrompu : %s", message)
            with self._lock:
                for name in modules:
                    self._failed.setdefault(name, (self._fingerprint(name), message))
        finally:
            with self._lock:
                self._busy = False
            self._signal()  # the last rebuild: it starts what may have been asked meanwhile

    def _signal(self) -> None:
        """Mark the watched file: MkDocs rebuilds (several marks during a rebuild make
        one more rebuild) and reloads the browsers."""
        if self._signal_dir is None or self._stop.is_set():
            return
        with contextlib.suppress(OSError):
            (self._signal_dir / "results").write_text(str(time.time_ns()), encoding="ascii")

    def _fingerprint(self, name: str) -> str | None:
        try:
            return keys.fingerprint(registry.get(name), self._profile)
        except (OSError, SyntaxError):  # an example being edited
            return None

    def _checked_modules(self, files: Files) -> dict:
        """{example: module} that the pages use; every marker error at once."""
        pages: list[tuple[str, markers.Marker]] = []
        errors: list[str] = []
        for file in files.documentation_pages():
            if not file.src_uri.endswith(".md"):
                continue
            where = self._where(file)
            found, malformed = markers.scan(file.content_string)
            errors += [f"{where}, ligne {error.line} : {error}" for error in malformed]
            errors += [f"{where}, {problem}" for problem in _quiz_errors(file.content_string)]
            for marker in found:
                problem = checks.unknown_example(marker)
                if problem:
                    errors.append(f"{where}, ligne {marker.line} : {problem} "
                                  f"(marqueur « {marker.text} »)")
                else:
                    pages.append((where, marker))
        wanted = {m.name for _, m in pages if m.kind != "index"}
        if any(m.kind == "index" for _, m in pages):
            wanted.update(registry.names())  # the index tables show every example
        modules, problems = checks.load_modules(sorted(wanted, key=registry.names().index))
        errors += problems
        for where, marker in pages:
            problem = marker.name in modules and checks.check(marker, modules[marker.name])
            if problem:
                errors.append(f"{where}, ligne {marker.line} : {problem}")
        _raise_all(errors)
        return modules

    def _report_claims(self) -> None:
        def line(name, entry, key, verdict):
            return (f"{name}/{key} : « {entry.contract.claims[key]} »"
                    + (f" ({verdict.detail})" if verdict.detail else ""))

        false = [line(name, entry, key, verdict) for name, entry in self._loaded.items()
                 for key, verdict in entry.claims.items() if verdict.fails]
        # Device-specific claims false on another setting than the reference's: the page
        # shows this run's values with a note; the lesson is not contradicted.
        elsewhere = [line(name, entry, key, verdict) for name, entry in self._loaded.items()
                     for key, verdict in entry.claims.items()
                     if not verdict.holds and verdict.elsewhere]
        if elsewhere and self._profile != "quick":
            # INFO, not WARNING: `mkdocs build --strict` fails on any warning, and these
            # are no contradiction of the lesson.
            log.info("Note : affirmations qui dépendent du matériel, fausses pour cette exécution "
                        "(autre moteur de calcul ou autre matériel que la référence ; les pages "
                        "montrent ses valeurs avec une note) :\n  " + "\n  ".join(elsewhere))
        if not false:
            return
        message = ("Cette exécution contredit le texte des pages (affirmations fausses) :\n  "
                   + "\n  ".join(false))
        if self._strict:
            raise PluginError(message)
        if self._profile == "quick":  # the claims describe the full profile's runs
            log.info("Aperçu rapide : %s", message)
            return
        log.warning(message)

    def _where(self, file: File) -> str:
        if file.abs_src_path:
            try:
                return Path(file.abs_src_path).resolve().relative_to(self._project).as_posix()
            except ValueError:
                return file.abs_src_path
        return file.src_uri

    def on_files(self, files: Files, config):
        if not self._active:
            return files
        for name, entry in self._loaded.items():
            drawn = {figure.name: figure.svg for figure in entry.result.figures.values()}
            drawn.update(explorer.files(entry))  # "explorer/<state>-<figure>": SVG
            for stem, svg in drawn.items():
                uri = f"{FIGURES_DIR}/{name}/{stem}.svg"
                if files.get_file_from_path(uri) is not None:
                    raise PluginError(
                        f"Le fichier « {config.docs_dir}/{uri} » existe : le dossier "
                        f"« {FIGURES_DIR}/ » de docs/ est réservé aux figures produites à la "
                        "construction. Supprimez-le ou renommez-le.")
                file = File.generated(config, uri, content=svg.encode("utf-8"))
                files.append(file)
                self._figures[name, stem] = file
        return files

    # --- pages ----------------------------------------------------------------------
    def on_page_markdown(self, markdown: str, page, config, files):
        if not self._active or markers.MARK not in markdown:
            return markdown
        blocks = self._blocks[page.file.src_uri] = {}
        rendered = []
        announced: set[str] = set()  # examples whose placeholder this page already shows
        devices_named: set[str] = set()  # examples whose run's device this page named

        def render(marker):
            rendered.append(marker)
            device_line = marker.kind == "claim" and marker.name not in devices_named
            html = self._render(marker, page, announced, device_line)
            if device_line and "fidle-claim-device" in html:
                devices_named.add(marker.name)
            if marker.kind not in markers.BLOCK_KINDS:
                return html
            return self._placeholder(blocks, html)

        try:
            markdown = markers.replace(markdown, render)
        except markers.MarkerError as error:
            raise PluginError(f"{self._where(page.file)}, ligne "
                              f"{error.line + _front_matter_lines(page, markdown)} : "
                              f"{error}") from None
        if self._profile == "quick" and any(_depends_on_profile(m) for m in rendered):
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

    def _render(self, marker: markers.Marker, page, announced: set[str],
                device_line: bool = True) -> str:
        if marker.kind == "index":
            return pagehtml.index_table(marker.name, self._loaded, page.file.url)
        entry = self._loaded.get(marker.name)
        if entry is None and marker.name in self._waiting:
            return self._placeholder_of(marker, announced)
        if entry is None:  # a page edited during `mkdocs serve` names a new example
            raise markers.MarkerError(marker.line, f"l'exemple « {marker.name} » n'était pas "
                                      "utilisé au début de cette construction ; elle va "
                                      "reprendre (ou relancez-la)")
        problem = checks.check(marker, _module(marker.name))
        if problem:
            raise markers.MarkerError(marker.line, problem)
        stems = (explorer.files(entry) if marker.kind == "explorer"
                 else entry.result.figures)
        srcs = {name: get_relative_url(self._figures[marker.name, name].url, page.file.url)
                for name in stems}
        return pagehtml.render(marker, entry, srcs, device_line)

    def _placeholder_of(self, marker: markers.Marker, announced: set[str]) -> str:
        """What `mkdocs serve` shows for an example still training, or failed."""
        spec, error = registry.get(marker.name), self._waiting[marker.name]
        if marker.kind == "config":  # known without training
            config = config_mod.resolve(_module(marker.name), self._profile)
            return pagehtml.config_value(dataclasses.asdict(config)[marker.item])
        if marker.quiz:  # left as is: the quiz says its answer comes from a training
            return marker.text
        if marker.kind == "claim":
            return ""  # nothing to contradict yet
        if marker.kind not in markers.BLOCK_KINDS:
            return (pagehtml.pending_inline(spec.title) if error is None
                    else pagehtml.failed_inline(spec.title))
        first = marker.name not in announced
        announced.add(marker.name)
        if error is None:
            return pagehtml.pending_block(marker.name, spec.title, self._profile,
                                         *self._progress, first)
        return pagehtml.failed_block(marker.name, spec.title, self._profile, error, first)


def _quiz_errors(text: str) -> list[str]:
    """The malformed ```quiz blocks of a page, each with its line in the page: checked
    with the markers, before any training (quiz.py renders them later, page by page)."""
    errors = []
    for start, body in markers.quiz_fences(text):
        try:
            quiz.parse(body)
        except quiz.QuizError as error:
            message = str(error).split(" : ", 1)[-1]
            errors.append(f"ligne {start + error.line} : quiz incorrect (ligne {start} à "
                          f"l'ouverture) : {message}")
    return errors


def _depends_on_profile(marker: markers.Marker) -> bool:
    """Whether a marker shows something the quick profile shortens (the chapters'
    figures are the same in both profiles)."""
    return (marker.kind != "index"
            and registry.get(marker.name).kind != registry.CHAPTER_FIGURES)


def _module(name: str):
    return registry.get(name).load()


def _raise_all(errors: list[str]) -> None:
    if errors:
        raise PluginError("Marqueurs de résultats ou quiz invalides :\n  "
                          + "\n  ".join(errors))


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
