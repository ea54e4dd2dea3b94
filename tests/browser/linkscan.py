"""Internal links and anchors of a served site, checked with LinkChecker.

Only loopback URLs are fetched: LinkChecker checks "intern" URLs only without
--check-extern (never given here), and every other host is syntax-checked
only (--ignore-url), so not even a DNS request leaves the machine.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

LINKCHECKER = Path(sys.executable).with_name("linkchecker")
CONFIG = "[checking]\nmaxrequestspersecond=1000\n"
NOT_LOOPBACK = r"^(?!https?://(127\.0\.0\.1|localhost)[:/])[a-z][a-z0-9+.-]*:"
# Links to an anchor: LinkChecker fetches and parses the target page again for each
# one (the full site: 80 s of processor with them, 9 s without). The browser audit
# checks them all on the pages as visited: those of the same page
# (pageaudit._SAME_PAGE_ANCHORS_JS) and those of another page (pageaudit.link_anchors).
ANCHOR = r"#"


class LinkCheck:
    """LinkChecker running in the background (it takes one core for a while):
    start it early, read its verdict later with problems()."""

    def __init__(self, urls: list[str], workdir: Path):
        config = workdir / "linkcheckerrc"
        config.write_text(CONFIG, encoding="utf-8")
        config.chmod(0o644)  # LinkChecker drops root privileges to "nobody"
        cmd = [str(LINKCHECKER), "--config", str(config), "--no-status", "--no-robots",
               "--output", "csv/utf-8", "--ignore-url", NOT_LOOPBACK,
               "--ignore-url", ANCHOR, "--threads", "4", *urls]
        self._out = open(workdir / "linkchecker.csv", "w+", encoding="utf-8")
        self._err = open(workdir / "linkchecker.err", "w+", encoding="utf-8")
        self._proc = subprocess.Popen(cmd, stdout=self._out, stderr=self._err, text=True)

    def problems(self, timeout: float = 600) -> list[str]:
        """One line per broken link or anchor (waits for LinkChecker to finish)."""
        try:
            code = self._proc.wait(timeout=timeout)
            self._out.seek(0)
            self._err.seek(0)
            output, errors = self._out.read(), self._err.read()
        finally:
            self.stop()
        # Exit status: 0 all good, 1 broken links or warnings, 2 program error.
        if code not in (0, 1):
            raise RuntimeError(f"LinkChecker a échoué (code {code}) :\n" + errors[-3000:])
        return parse_csv(output)

    def stop(self) -> None:
        """Kill LinkChecker if it still runs; close its output files."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._out.close()
        self._err.close()


def parse_csv(output: str) -> list[str]:
    lines = [line for line in output.splitlines() if line and not line.startswith("#")]
    problems = []
    for row in csv.DictReader(io.StringIO("\n".join(lines)), delimiter=";"):
        where = f"{row['parentname'] or '(départ)'} -> {row['urlname']}"
        if row["valid"] != "True":
            problems.append(f"{where} : {row['result']}")
    return problems


def check_links(urls: list[str], workdir: Path) -> list[str]:
    """Check every link reachable from urls (anchors aside: ANCHOR); returns one line
    per broken link."""
    return LinkCheck(urls, workdir).problems()
