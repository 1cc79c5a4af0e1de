"""``mycoder-lsp check`` on real, well-kept Python projects: the false errors
and the noise a new user would see, and how long it takes.

The projects are pinned releases from PyPI (``bench/real_projects/projects.toml``),
installed with ``pip install --no-deps`` into a cache virtualenv outside the
checkout (``~/.cache/mycoder-lsp/bench-projects/<python>/``), created when
missing or when the pins change. Each project's installed sources are copied
into a workspace directory of its own, with the configuration files from the
top of the project's pinned source release (``pyproject.toml``, ``setup.cfg``,
``tox.ini``, ...: its line length, its ``requires-python``), laid out as in
the release (``src/`` or not, so that per-file ignores match), and checked there
with the real CLI in a subprocess, as ``cd project && mycoder-lsp check
--json .`` with the cache virtualenv active (``VIRTUAL_ENV``), no user config
file, and the mycoder-lsp code of this checkout (``PYTHONPATH``).

Per project it prints files, lines, every error-level finding (with its
verdict from ``bench/real_projects/labels.toml``: each one classified true or
false by reading the source), findings per 1,000 lines by code, wall and CPU
time. ``--before DIR`` runs the same on another checkout of mycoder-lsp (say
``git archive`` of an older commit), interleaved with this one on the same
files in the same run, and prints both side by side with the speed ratio.

    python bench/bench_real_projects.py [--before DIR] [--runs N] [--projects a,b] [--json OUT]

Installing needs a package index (or pip's configured mirror); the checks
themselves fetch nothing.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PROJECTS_FILE = HERE / "real_projects" / "projects.toml"
LABELS_FILE = HERE / "real_projects" / "labels.toml"
# Written into the virtualenv once every pin is installed: a half-built one is rebuilt.
STAMP = "mycoder-bench-pins.txt"
SEVERITIES = ("error", "warning", "information", "hint")
# What a checkout's top holds that may configure a linter: copied from the source release.
CONFIG_FILES = ("pyproject.toml", "setup.cfg", "tox.ini", ".flake8", "ruff.toml", ".ruff.toml")
# The workspaces' folder in the cache; a new name when their layout changes, so old ones are not reused.
WORKSPACES = "work-v2"


@dataclass(frozen=True)
class Pin:
    """One release from PyPI: a project to check (``paths`` set) or a dependency."""

    name: str
    version: str
    sha256: str | None = None
    # Top-level items in site-packages that make up the project's sources.
    paths: tuple[str, ...] = ()
    # The source release, for the project's configuration files.
    sdist_sha256: str | None = None

    def requirement(self) -> str:
        line = f"{self.name}=={self.version}"
        return f"{line} --hash=sha256:{self.sha256}" if self.sha256 else line


@dataclass(frozen=True)
class Label:
    """A verdict on one error-level finding, reached by reading the source."""

    project: str
    file: str
    line: int
    code: str
    verdict: bool  # True: a real defect; False: a false error
    cause: str
    reason: str


@dataclass(frozen=True)
class ErrorFinding:
    path: str
    line: int
    column: int
    code: str
    message: str

    def key(self, project: str) -> tuple[str, str, int, str]:
        return (project, self.path, self.line, self.code)


@dataclass
class ProjectResult:
    """One project's figures from one run of the CLI."""

    name: str
    version: str
    files: int
    lines: int
    skipped: list[str] = field(default_factory=list)
    by_code: collections.Counter[str] = field(default_factory=collections.Counter)
    by_severity: collections.Counter[str] = field(default_factory=collections.Counter)
    # code -> severity -> count: one code may be raised at more than one severity.
    code_severities: dict[str, collections.Counter[str]] = field(default_factory=dict)
    errors: list[ErrorFinding] = field(default_factory=list)
    wall: float = 0.0
    cpu: float = 0.0
    returncode: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_code.values())


def load_pins(path: Path = PROJECTS_FILE) -> tuple[list[Pin], list[Pin]]:
    """(projects to check, dependencies installed only) from the pins file."""
    data = tomllib.loads(path.read_text("utf-8"))

    def pins(key: str) -> list[Pin]:
        return [Pin(name=entry["name"], version=entry["version"], sha256=entry.get("sha256"),
                    paths=tuple(entry.get("paths", ())), sdist_sha256=entry.get("sdist_sha256"))
                for entry in data.get(key, [])]

    projects, support = pins("project"), pins("support")
    for pin in projects:
        if not pin.paths:
            raise ValueError(f"{path}: project {pin.name} lists no paths")
    return projects, support


def load_labels(path: Path = LABELS_FILE) -> dict[tuple[str, str, int, str], Label]:
    if not path.exists():
        return {}
    labels = {}
    for entry in tomllib.loads(path.read_text("utf-8")).get("label", []):
        verdict = entry["verdict"]
        if verdict not in ("true", "false"):
            raise ValueError(f"{path}: verdict must be \"true\" or \"false\", not {verdict!r}")
        label = Label(project=entry["project"], file=entry["file"], line=int(entry["line"]), code=entry["code"],
                      verdict=verdict == "true", cause=entry.get("cause", ""), reason=entry.get("reason", ""))
        labels[(label.project, label.file, label.line, label.code)] = label
    return labels


def pins_digest(pins: list[Pin]) -> str:
    return hashlib.sha256("\n".join(sorted(p.requirement() for p in pins)).encode()).hexdigest()


def default_cache() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "mycoder-lsp" / "bench-projects" / f"py{sys.version_info[0]}.{sys.version_info[1]}"


def ensure_environment(cache: Path, pins: list[Pin]) -> Path:
    """The cache virtualenv with exactly these pins, built when missing or stale."""
    venv = cache / "venv"
    digest = pins_digest(pins)
    stamp = venv / STAMP
    if stamp.exists() and stamp.read_text("utf-8").strip() == digest:
        return venv
    if venv.exists():
        shutil.rmtree(venv)
    cache.mkdir(parents=True, exist_ok=True)
    print(f"creating {venv} ({len(pins)} pinned releases)", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv_python(venv))
    hashed = [p.requirement() for p in pins if p.sha256]
    unhashed = [p.requirement() for p in pins if not p.sha256]
    # pip's --require-hashes is all or nothing: wheels with compiled code go in a second call.
    for name, lines, extra in (("hashed.txt", hashed, ["--require-hashes"]), ("unhashed.txt", unhashed, [])):
        if not lines:
            continue
        requirements = cache / name
        requirements.write_text("\n".join(lines) + "\n", "utf-8")
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--only-binary", ":all:",
                        *extra, "-r", str(requirements)], check=True)
    stamp.write_text(digest + "\n", "utf-8")
    return venv


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def site_packages(venv: Path) -> Path:
    out = subprocess.run([str(venv_python(venv)), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         check=True, capture_output=True, text=True)
    return Path(out.stdout.strip())


def ensure_sdist(cache: Path, pin: Pin) -> Path:
    """The project's pinned source release, downloaded once and checked against its sha256."""
    folder = cache / "sdists"
    folder.mkdir(parents=True, exist_ok=True)
    found = [p for p in folder.glob("*.tar.gz") if _sha256(p) == pin.sdist_sha256]
    if found:
        return found[0]
    before = set(folder.iterdir())
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                    "-d", str(folder), f"{pin.name}=={pin.version}"], check=True)
    for path in set(folder.iterdir()) - before:
        if _sha256(path) == pin.sdist_sha256:
            return path
        path.unlink()
    raise RuntimeError(f"{pin.name}=={pin.version}: the source release downloaded does not match sdist_sha256")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def config_members(names: list[str]) -> dict[str, str]:
    """Member name -> file name of the configuration files at the top of a source release
    (``name-1.0/pyproject.toml``; never a nested one, never a path that climbs out)."""
    found = {}
    for name in names:
        parts = name.split("/")
        if len(parts) == 2 and parts[0] not in ("", ".", "..") and parts[1] in CONFIG_FILES:
            found[name] = parts[1]
    return found


def source_folder(names: list[str], item: str) -> str:
    """Where a source release keeps a top-level package or module: ``""`` or, in
    a src layout, ``"src/"`` (from the shallowest ``name-1.0/<folder><item>/__init__.py``
    or ``name-1.0/<folder><item>``)."""
    found = []
    for name in names:
        rest = name.split("/", 1)[1] if "/" in name else ""
        for tail in (f"{item}/__init__.py", item):
            if rest == tail or rest.endswith("/" + tail):
                found.append(rest[:-len(tail)])
    return min(found, key=lambda folder: (folder.count("/"), folder), default="")


def ensure_workspace(cache: Path, site: Path, pin: Pin) -> Path:
    """A directory laid out like the project's checkout: its installed sources
    (no bytecode) where its source release keeps them (``src/`` or the top),
    and the configuration files from the release's top, so that paths in them
    (per-file ignores, excludes) mean what they mean in the project."""
    workspace = cache / WORKSPACES / f"{pin.name}-{pin.version}"
    if workspace.exists():
        return workspace
    partial = workspace.with_name(workspace.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    names: list[str] = []
    if pin.sdist_sha256:
        with tarfile.open(ensure_sdist(cache, pin)) as archive:
            names = archive.getnames()
            for member, filename in config_members(names).items():
                extracted = archive.extractfile(member)
                if extracted is not None:
                    (partial / filename).write_bytes(extracted.read())
    for item in pin.paths:
        source, target = site / item, partial / source_folder(names, item) / item
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, target)
    partial.rename(workspace)
    return workspace


def count_lines(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def summarize(pin: Pin, report: dict, skipped: list[str], workspace: Path,
              wall: float = 0.0, cpu: float = 0.0, returncode: int = 0) -> ProjectResult:
    """One project's figures from the CLI's ``--json`` report."""
    entries = report["files"]
    lines = 0
    for entry in entries:
        try:
            lines += count_lines((workspace / entry["path"]).read_bytes())
        except OSError:
            pass
    result = ProjectResult(name=pin.name, version=pin.version, files=len(entries), lines=lines, skipped=skipped,
                           wall=wall, cpu=cpu, returncode=returncode)
    for entry in entries:
        for finding in entry["findings"]:
            code, severity = finding["code"], finding["severity"]
            result.by_code[code] += 1
            result.by_severity[severity] += 1
            result.code_severities.setdefault(code, collections.Counter())[severity] += 1
            if severity == "error":
                result.errors.append(ErrorFinding(path=entry["path"], line=finding["line"],
                                                  column=finding["column"], code=code, message=finding["message"]))
    return result


def run_check(code_root: Path, workspace: Path, venv: Path, config_home: Path) -> tuple[dict, list[str], float,
                                                                                      float, int]:
    """The CLI on one workspace: (report, skipped lines, wall s, CPU s, exit status)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(code_root)
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = f"{venv_python(venv).parent}{os.pathsep}{env.get('PATH', '')}"
    # No user config file: the defaults a new user gets.
    env["XDG_CONFIG_HOME"] = str(config_home)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mycoder_lsp", "check", "--json", "--root", str(workspace), "."],
                          cwd=workspace, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"check failed in {workspace} with {code_root} (exit {proc.returncode}):\n{proc.stderr}")
    skipped = [line for line in proc.stderr.splitlines() if ": skipped: " in line]
    return json.loads(proc.stdout), skipped, wall, cpu, proc.returncode


def per_thousand(count: int, lines: int) -> float:
    return count * 1000 / lines if lines else 0.0


def verdict_text(label: Label | None) -> str:
    if label is None:
        return "UNLABELLED"
    return ("TRUE" if label.verdict else "FALSE") + (f" ({label.cause})" if label.cause else "") + \
        (f": {label.reason}" if label.reason else "")


def error_counts(results: list[ProjectResult],
                 labels: dict[tuple[str, str, int, str], Label]) -> tuple[int, int, int]:
    """(true, false, unlabelled) error-level findings."""
    true = false = unlabelled = 0
    for result in results:
        for error in result.errors:
            label = labels.get(error.key(result.name))
            if label is None:
                unlabelled += 1
            elif label.verdict:
                true += 1
            else:
                false += 1
    return true, false, unlabelled


def project_section(result: ProjectResult, labels: dict[tuple[str, str, int, str], Label]) -> list[str]:
    out = [f"### {result.name} {result.version}: {result.files} files, {result.lines:,} lines, "
           f"{result.wall:.2f} s wall ({result.cpu:.2f} s CPU), {len(result.errors)} error-level"]
    for line in result.skipped:
        out.append(f"- skipped: {line}")
    for error in result.errors:
        out.append(f"- `{error.path}:{error.line}:{error.column}` {error.code} {error.message} -> "
                   f"{verdict_text(labels.get(error.key(result.name)))}")
    density = ", ".join(f"{code} {per_thousand(n, result.lines):.2f}" for code, n in
                        sorted(result.by_code.items(), key=lambda item: (-item[1], item[0])))
    out.append(f"- findings per 1,000 lines: {per_thousand(result.total, result.lines):.2f} "
               f"({density or 'none'})")
    return out


def totals_table(results: list[ProjectResult], labels: dict[tuple[str, str, int, str], Label]) -> list[str]:
    out = ["| project | files | lines | errors (true/false/?) | findings / 1,000 lines | wall s | CPU s |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for result in results:
        true, false, unknown = error_counts([result], labels)
        out.append(f"| {result.name} {result.version} | {result.files} | {result.lines:,} | "
                   f"{len(result.errors)} ({true}/{false}/{unknown}) | "
                   f"{per_thousand(result.total, result.lines):.2f} | {result.wall:.2f} | {result.cpu:.2f} |")
    lines = sum(r.lines for r in results)
    true, false, unknown = error_counts(results, labels)
    errors = sum(len(r.errors) for r in results)
    out.append(f"| **all** | {sum(r.files for r in results)} | {lines:,} | {errors} ({true}/{false}/{unknown}) | "
               f"{per_thousand(sum(r.total for r in results), lines):.2f} | {sum(r.wall for r in results):.2f} | "
               f"{sum(r.cpu for r in results):.2f} |")
    return out


def project_code_table(results: list[ProjectResult], top: int = 6) -> list[str]:
    """Findings per 1,000 lines per project for the most frequent codes, the rest as "other"."""
    overall: collections.Counter[str] = collections.Counter()
    for result in results:
        overall.update(result.by_code)
    codes = [code for code, _ in sorted(overall.items(), key=lambda item: (-item[1], item[0]))[:top]]
    out = ["| project | lines | " + " | ".join(codes) + " | other | all |",
           "|---|---:|" + "---:|" * (len(codes) + 2)]
    for result in [*results, None]:
        rows = results if result is None else [result]
        lines = sum(r.lines for r in rows)
        counts: collections.Counter[str] = collections.Counter()
        for r in rows:
            counts.update(r.by_code)
        other = sum(counts.values()) - sum(counts[c] for c in codes)
        name = "**all**" if result is None else result.name
        cells = [f"{per_thousand(counts[c], lines):.2f}" for c in codes]
        out.append(f"| {name} | {lines:,} | " + " | ".join(cells) +
                   f" | {per_thousand(other, lines):.2f} | {per_thousand(sum(counts.values()), lines):.2f} |")
    return out


def code_table(runs: dict[str, list[ProjectResult]]) -> list[str]:
    """Findings per 1,000 lines by code over all projects, one column per run."""
    names = list(runs)
    lines = {name: sum(r.lines for r in results) for name, results in runs.items()}
    counts: dict[str, collections.Counter[str]] = {name: collections.Counter() for name in names}
    severities: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for name, results in runs.items():
        for result in results:
            counts[name].update(result.by_code)
            for code, by_severity in result.code_severities.items():
                severities[code].update(by_severity)
    codes = sorted(set().union(*counts.values()), key=lambda c: (-max(counts[n][c] for n in names), c))
    head = "| code | severity | " + " | ".join(f"{n} count | {n} / 1,000 lines | {n} share" for n in names) + " |"
    out = [head, "|---|---|" + "---:|---:|---:|" * len(names)]
    for code in codes:
        mix = ", ".join(s for s in SEVERITIES if severities[code][s])
        cells = []
        for name in names:
            total = sum(counts[name].values())
            n = counts[name][code]
            cells.append(f"{n:,} | {per_thousand(n, lines[name]):.2f} | {100 * n / total if total else 0:.1f}%")
        out.append(f"| {code} | {mix} | " + " | ".join(cells) + " |")
    cells = [f"{sum(counts[n].values()):,} | {per_thousand(sum(counts[n].values()), lines[n]):.2f} | 100%"
             for n in names]
    out.append("| **all** | | " + " | ".join(cells) + " |")
    return out


def speed_table(after: list[ProjectResult], before: list[ProjectResult]) -> list[str]:
    out = ["| project | lines | before wall s | now wall s | before CPU s | now CPU s | CPU ratio |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for now, old in zip(after, before):
        out.append(f"| {now.name} | {now.lines:,} | {old.wall:.2f} | {now.wall:.2f} | {old.cpu:.2f} | "
                   f"{now.cpu:.2f} | {now.cpu / old.cpu if old.cpu else 0:.2f}x |")
    wall_now, wall_old = sum(r.wall for r in after), sum(r.wall for r in before)
    cpu_now, cpu_old = sum(r.cpu for r in after), sum(r.cpu for r in before)
    out.append(f"| **all** | {sum(r.lines for r in after):,} | {wall_old:.2f} | {wall_now:.2f} | {cpu_old:.2f} | "
               f"{cpu_now:.2f} | {cpu_now / cpu_old if cpu_old else 0:.2f}x (wall "
               f"{wall_now / wall_old if wall_old else 0:.2f}x) |")
    return out


def median_result(results: list[ProjectResult]) -> ProjectResult:
    """The first run's findings with the median wall and CPU time of all runs."""
    first = results[0]
    first.wall = statistics.median(r.wall for r in results)
    first.cpu = statistics.median(r.cpu for r in results)
    return first


def result_json(result: ProjectResult) -> dict:
    return {"name": result.name, "version": result.version, "files": result.files, "lines": result.lines,
            "skipped": result.skipped, "by_code": dict(result.by_code), "by_severity": dict(result.by_severity),
            "code_severities": {code: dict(c) for code, c in result.code_severities.items()},
            "errors": [vars(e) for e in result.errors], "wall": result.wall, "cpu": result.cpu}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, default=None, metavar="DIR",
                        help="another checkout of mycoder-lsp to run on the same files, interleaved")
    parser.add_argument("--runs", type=int, default=1, help="runs per project and checkout (median time)")
    parser.add_argument("--projects", default=None, help="comma-separated project names (default: all)")
    parser.add_argument("--cache", type=Path, default=None, help=f"cache directory (default: {default_cache()})")
    parser.add_argument("--json", type=Path, default=None, metavar="OUT", help="also write the figures here")
    args = parser.parse_args(argv)
    every, support = load_pins()
    projects = every
    if args.projects:
        wanted = set(args.projects.split(","))
        unknown = wanted - {p.name for p in projects}
        if unknown:
            parser.error(f"unknown projects: {', '.join(sorted(unknown))}")
        projects = [p for p in projects if p.name in wanted]
    cache = args.cache or default_cache()
    venv = ensure_environment(cache, [*every, *support])
    site = site_packages(venv)
    config_home = cache / "empty-config"
    config_home.mkdir(parents=True, exist_ok=True)
    labels = load_labels()
    checkouts = {"now": REPO}
    if args.before is not None:
        checkouts["before"] = args.before.resolve()
    runs: dict[str, list[ProjectResult]] = {name: [] for name in checkouts}
    load_start = os.getloadavg()
    for index, pin in enumerate(projects):
        workspace = ensure_workspace(cache, site, pin)
        # Interleaved, the order alternating per project, so a change in load hits both alike.
        order = list(checkouts) if index % 2 == 0 else list(reversed(checkouts))
        samples: dict[str, list[ProjectResult]] = {name: [] for name in checkouts}
        for _ in range(args.runs):
            for name in order:
                report, skipped, wall, cpu, status = run_check(checkouts[name], workspace, venv, config_home)
                samples[name].append(summarize(pin, report, skipped, workspace, wall, cpu, status))
        for name in checkouts:
            runs[name].append(median_result(samples[name]))
    load_end = os.getloadavg()
    out: list[str] = [f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
                      f"{load_start[0]:.2f} at the start, {load_end[0]:.2f} at the end; cache {cache}"]
    for name, path in checkouts.items():
        results = runs[name]
        out += ["", f"## {name}: {path}", ""]
        for result in results:
            out += project_section(result, labels)
        out += ["", *totals_table(results, labels), "", "findings per 1,000 lines, by project:", "",
                *project_code_table(results)]
    out += ["", "## findings per 1,000 lines by code", "", *code_table(runs)]
    if args.before is not None:
        out += ["", "## speed (same files, same run, interleaved)", "", *speed_table(runs["now"], runs["before"])]
    print("\n".join(out))
    if args.json is not None:
        args.json.write_text(json.dumps({name: [result_json(r) for r in results] for name, results in runs.items()},
                                        indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
