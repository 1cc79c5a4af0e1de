"""Task benchmark: the whole request flow against a raw baseline, same model, same run.

Each task in ``bench/tasks/<id>/`` is a small project (``project/``), what a
user asks (``task.json``: ``instruction``, ``command`` fix | modify, the
target ``file`` with the cursor at ``line``/``column``, 1-based as an editor
shows them, and ``split`` dev | heldout), a test (``check.py``, run with
pytest, or ``check.js``, run with node) that fails on the project as it is
and passes once the task is done, while checking the rest of the project
still works, and a hand-written ``solution/`` the model never sees.

For every task, two runs against the same llama-server:

1. **flow**: the real server process (``python -m mycoder_lsp``) driven
   through a real LSP client (pytest-lsp), the file open in the fake editor,
   ``mycoder.fix`` / ``mycoder.modify`` with the cursor and the instruction;
   the edit is applied as an editor would (``edits.preview = false``), the
   file written back, the test run.
2. **raw**: one chat request with the whole file and the instruction, the
   whole file back (the first fenced block if there is one), the test run.

Per task and in total: passed, broken files (the changed file does not
parse, or its module does not import), refusals (the flow said no, or the raw
answer was empty), seconds (the command, as the user waits for it), tokens
(prompt tokens the server evaluated, prompt-cache hits not included, plus
output tokens, from llama-server's ``/metrics``; without them, the usage the
server reported, or the flow's streamed pieces). The held-out split
(written before any tuning, never looked at while tuning) is reported
separately.

Usage:
    python bench/bench_tasks.py                 # starts llama-server (1.5B) from the provisioning cache
    python bench/bench_tasks.py --url http://127.0.0.1:18205   # a running llama-server
    python bench/bench_tasks.py --only fix_mean_empty,mod_greet_param --split dev --json out.json
    python bench/bench_tasks.py --verify        # no model: each test fails before, passes on the solution
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import contextlib
import difflib
import importlib.util
import json
import logging
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

CHECKOUT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(CHECKOUT))

import httpx  # noqa: E402
from lsprotocol import types  # noqa: E402

from mycoder_lsp.brains.backends import make_brain  # noqa: E402
from mycoder_lsp.brains.wire.http import BrainError, new_client  # noqa: E402
from mycoder_lsp.config import Settings, apply_layer, server_base  # noqa: E402
from tests.e2e.lsp_session import lsp_session  # noqa: E402
from tests.realmodel.llama_server import DEADLINE, THREADS, run_llama_server  # noqa: E402
from tests.support.brain_lsp import Editor, attach, command, wait_until  # noqa: E402

TASKS = Path(__file__).resolve().parent / "tasks"
CHECK_TIMEOUT = 60.0
# Room for the whole function the flow asks for, and for the whole file the
# raw baseline asks for (the task files are under 40 lines).
CODING_MAX_TOKENS = 1024
LANGUAGES = {".py": "python", ".js": "javascript"}

RAW_SYSTEM = ("You are an expert programmer. You are given a whole source file and a change to make. "
              "Reply with the complete new file and nothing else.")


@dataclass
class Task:
    id: str
    dir: Path
    instruction: str
    command: str  # fix | modify
    file: str
    line: int  # 1-based
    column: int  # 1-based
    split: str  # dev | heldout

    @property
    def language(self) -> str:
        return LANGUAGES[Path(self.file).suffix]


@dataclass
class Outcome:
    """One run of one task."""

    passed: bool = False
    broken: bool = False
    refused: bool = False
    seconds: float = 0.0
    prompt_tokens: int = 0
    output_tokens: int = 0
    detail: str = ""  # the refusal, or the end of the test's output
    diff: str = ""  # what the run changed in the task's file

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.output_tokens


@dataclass
class Row:
    task: str
    split: str
    flow: Outcome = field(default_factory=Outcome)
    raw: Outcome = field(default_factory=Outcome)


def load_tasks(only: set[str] | None = None, split: str | None = None) -> list[Task]:
    tasks = []
    for meta_path in sorted(TASKS.glob("*/task.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        task = Task(id=meta_path.parent.name, dir=meta_path.parent, **meta)
        if (only and task.id not in only) or (split and task.split != split):
            continue
        tasks.append(task)
    if only and len(tasks) < len(only):
        missing = sorted(only - {t.id for t in tasks})
        raise SystemExit(f"no such task (or not in --split): {', '.join(missing)}")
    return tasks


# -- the test of a task ------------------------------------------------------


@contextlib.contextmanager
def workspace(task: Task, *, solution: bool = False) -> Iterator[Path]:
    """A fresh copy of the task's project (with its solution on top when asked)
    in a temporary folder, as a git checkout: the test is not in it."""
    with tempfile.TemporaryDirectory(prefix=f"task-{task.id}-") as tmp:
        root = Path(tmp) / "ws"
        shutil.copytree(task.dir / "project", root)
        (root / ".git").mkdir()
        if solution:
            shutil.copytree(task.dir / "solution", root, dirs_exist_ok=True)
        yield root


def run_check(task: Task, root: Path) -> tuple[bool, str]:
    """Copy the task's test into ``root`` and run it: (passed, the end of its output)."""
    if task.language == "javascript":
        shutil.copy(task.dir / "check.js", root / "check.js")
        argv = ["node", "check.js"]
    else:
        shutil.copy(task.dir / "check.py", root / "check.py")
        # One line per failure; the test plugins of this checkout stay out of the task's run.
        argv = [sys.executable, "-m", "pytest", "-q", "--tb=line", "-p", "no:cacheprovider", "-p", "no:asyncio",
                "-p", "no:pytest_lsp", "check.py"]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    try:
        done = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=CHECK_TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return False, f"the test ran past {CHECK_TIMEOUT:.0f} s"
    out = (done.stdout + done.stderr).strip().splitlines()
    return done.returncode == 0, "\n".join(out[-6:])


def is_broken(task: Task, root: Path) -> str:
    """Why the changed file is broken ("" when it is not): it does not parse,
    or (Python) its module does not import."""
    path = root / task.file
    if task.language == "javascript":
        done = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True, timeout=CHECK_TIMEOUT)
        return done.stderr.strip().splitlines()[-1] if done.returncode else ""
    try:
        ast.parse(path.read_text(encoding="utf-8"))
    except SyntaxError as exc:
        return f"does not parse: {exc}"
    done = subprocess.run([sys.executable, "-c", f"import {path.stem}"], cwd=root, capture_output=True, text=True,
                          timeout=CHECK_TIMEOUT, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    return f"does not import: {done.stderr.strip().splitlines()[-1]}" if done.returncode else ""


def judge(task: Task, root: Path, original: str, outcome: Outcome) -> None:
    changed = (root / task.file).read_text(encoding="utf-8")
    outcome.diff = "".join(difflib.unified_diff(original.splitlines(keepends=True), changed.splitlines(keepends=True),
                                                task.file, task.file))
    broken = is_broken(task, root)
    if broken:
        outcome.broken, outcome.detail = True, broken
        return
    outcome.passed, output = run_check(task, root)
    if not outcome.passed:
        outcome.detail = output


def verify(tasks: list[Task]) -> int:
    """Every test must fail on the project as it is and pass on the solution."""
    bad = 0
    for task in tasks:
        with workspace(task) as root:
            before, _ = run_check(task, root)
        with workspace(task, solution=True) as root:
            after, output = run_check(task, root)
            broken = is_broken(task, root)
        ok = not before and after and not broken
        bad += not ok
        print(f"{'ok  ' if ok else 'BAD '} {task.id}: original {'passes' if before else 'fails'}, "
              f"solution {'passes' if after else 'fails'}" + (f"\n{output}" if not after else ""))
    print(f"{len(tasks) - bad}/{len(tasks)} tasks verified")
    return 1 if bad else 0


# -- the model server ----------------------------------------------------------


def _provisioning() -> ModuleType:
    """scripts/provision_models.py (not a package), the cache the real-model tests use."""
    script = CHECKOUT / "scripts" / "provision_models.py"
    spec = importlib.util.spec_from_file_location("mycoder_provision_models", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    writes_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ in scripts/
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes_bytecode
    return module


@contextlib.contextmanager
def model_server(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    """(base URL, model name): the running server of ``--url``, or one started here."""
    if args.url:
        url = server_base(args.url)
        models = httpx.get(url + "/v1/models", timeout=10, trust_env=False).json()
        yield url, models["data"][0]["id"]
        return
    provision = _provisioning()
    root = provision.cache_root()
    engine, weights = provision.engine_status(root), provision.model_status(root, args.model)
    missing = [f"{s.what}: {s.problem}" for s in (engine, weights) if not s.ready]
    if missing:
        raise SystemExit(f"model {args.model} not provisioned ({'; '.join(missing)}); run "
                         f"`{provision.PROVISION_COMMAND} --model {args.model}`, or pass --url")
    with tempfile.TemporaryDirectory(prefix="bench-tasks-llama-") as tmp:
        log = Path(tmp) / "llama-server.log"
        with run_llama_server(engine.path, weights.path, alias=f"qwen2.5-coder-{args.model}", log=log,
                              threads=args.threads, extra_args=["--metrics"]) as server:
            yield server.url, server.model


def server_tokens(client: httpx.Client, url: str) -> tuple[int, int] | None:
    """llama-server's (prompt, predicted) token counters, or None without ``--metrics``."""
    try:
        response = client.get(url + "/metrics")
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    counts = dict(re.findall(r"^llamacpp:(prompt_tokens_total|tokens_predicted_total) (\S+)$", response.text, re.M))
    if len(counts) != 2:
        return None
    return int(float(counts["prompt_tokens_total"])), int(float(counts["tokens_predicted_total"]))


def brain_settings(url: str, model: str, *, log_level: str = "warning") -> dict[str, Any]:
    """Every brain at llama-server, as a user sets it up: the OpenAI backend,
    temperature 0; everything else left at its default. ``log_level`` is the
    server's (its log goes to this process's stderr; "debug" shows the
    prompts and the raw answers)."""
    brain = {"url": url, "backend": "openai", "model": model, "timeout": DEADLINE, "temperature": 0.0}
    return {"brains": {"coding": {**brain, "max_tokens": CODING_MAX_TOKENS}, "reasoning": brain, "organizer": brain},
            "edits": {"preview": False}, "log_level": log_level}


# -- the two runs ----------------------------------------------------------------


async def run_flow(task: Task, url: str, model: str, metrics: httpx.Client, *, log_level: str) -> Outcome:
    outcome = Outcome()
    with workspace(task) as root:
        path = root / task.file
        text = path.read_text(encoding="utf-8")
        before = server_tokens(metrics, url)
        options = brain_settings(url, model, log_level=log_level)
        async with lsp_session(root, profile="vscode", initialization_options=options) as client:
            editor = Editor(client, path.as_uri(), text, language_id=task.language)
            attach(client, editor)
            editor.open()
            # A user asks once the project is indexed (milliseconds for these
            # projects), so the flow gets the context it would normally get.
            await indexed(client)
            start = time.perf_counter()
            try:
                result = await command(client, f"mycoder.{task.command}", {
                    "uri": editor.uri, "position": {"line": task.line - 1, "character": task.column - 1},
                    "instruction": task.instruction}, timeout=3 * DEADLINE)
            except asyncio.TimeoutError:
                result = {"kind": "error", "message": "no answer in time"}
            outcome.seconds = time.perf_counter() - start
        after = server_tokens(metrics, url)
        if before and after:
            outcome.prompt_tokens, outcome.output_tokens = after[0] - before[0], after[1] - before[1]
        else:
            outcome.output_tokens = int(result.get("tokens") or 0)
        if not (result.get("kind") == "edit" and result.get("applied")):
            outcome.refused = True
            outcome.detail = f"{result.get('kind')}: {result.get('message')}"
            return outcome
        path.write_text(editor.text, encoding="utf-8")
        judge(task, root, text, outcome)
    return outcome


async def indexed(client: Any, timeout: float = 60.0) -> None:
    """Wait for the end of the server's indexing progress (or ``timeout``)."""
    def done() -> bool:
        return any(values and isinstance(values[0], types.WorkDoneProgressBegin)
                   and values[0].title.startswith("MyCoder: indexing")
                   and isinstance(values[-1], types.WorkDoneProgressEnd)
                   for values in client.progress_reports.values())

    with contextlib.suppress(asyncio.TimeoutError):
        await wait_until(done, timeout=timeout)


_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)


def strip_fences(answer: str) -> str:
    """The first fenced block of ``answer``, or all of it when it has none."""
    found = _FENCE.search(answer)
    return found.group(1) if found else answer


def raw_messages(task: Task, text: str) -> list[dict[str, str]]:
    user = (f"File `{task.file}`:\n```{task.language}\n{text}```\n\n"
            f"Change: {task.instruction}\n\nReply with the whole new `{task.file}`.")
    return [{"role": "system", "content": RAW_SYSTEM}, {"role": "user", "content": user}]


async def run_raw(task: Task, url: str, model: str, http: httpx.AsyncClient, metrics: httpx.Client) -> Outcome:
    outcome = Outcome()
    settings = Settings()
    apply_layer(settings, brain_settings(url, model), "bench")
    brain = make_brain("coding", settings, client=http)
    with workspace(task) as root:
        path = root / task.file
        text = path.read_text(encoding="utf-8")
        before = server_tokens(metrics, url)
        start = time.perf_counter()
        try:
            completion = await brain.generate(raw_messages(task, text))
        except BrainError as exc:
            outcome.seconds = time.perf_counter() - start
            outcome.refused, outcome.detail = True, f"error: {exc}"
            return outcome
        outcome.seconds = time.perf_counter() - start
        after = server_tokens(metrics, url)
        if before and after:  # counted as for the flow: the tokens the server evaluated
            outcome.prompt_tokens, outcome.output_tokens = after[0] - before[0], after[1] - before[1]
        else:
            outcome.prompt_tokens = completion.prompt_tokens or 0
            outcome.output_tokens = completion.output_tokens or completion.pieces
        new_text = strip_fences(completion.text)
        if not new_text.strip():
            outcome.refused, outcome.detail = True, "empty answer"
            return outcome
        path.write_text(new_text if new_text.endswith("\n") else new_text + "\n", encoding="utf-8")
        judge(task, root, text, outcome)
    return outcome


async def run_all(tasks: list[Task], args: argparse.Namespace, url: str, model: str) -> list[Row]:
    rows = []
    with httpx.Client(trust_env=False, timeout=10) as metrics:
        async with new_client() as http:
            for task in tasks:
                row = Row(task.id, task.split)
                if "flow" in args.runs:
                    row.flow = await run_flow(task, url, model, metrics,
                                              log_level="debug" if args.debug else "warning")
                if "raw" in args.runs:
                    row.raw = await run_raw(task, url, model, http, metrics)
                rows.append(row)
                print(f"{task.id}: flow {_mark(row.flow)} {row.flow.seconds:.1f}s  raw {_mark(row.raw)} "
                      f"{row.raw.seconds:.1f}s", file=sys.stderr, flush=True)
                if args.verbose:
                    for name, outcome in (("flow", row.flow), ("raw", row.raw)):
                        if outcome.detail and not outcome.passed:
                            print(f"  {name}: {outcome.detail}\n{outcome.diff}", file=sys.stderr)
    return rows


# -- the report ----------------------------------------------------------------------


def _mark(outcome: Outcome) -> str:
    if outcome.passed:
        return "pass"
    if outcome.broken:
        return "BROKEN"
    return "refused" if outcome.refused else "fail"


def summary(rows: list[Row], which: str) -> dict[str, Any]:
    outcomes: list[Outcome] = [getattr(r, which) for r in rows]
    n = len(outcomes)
    return {"tasks": n, "passed": sum(o.passed for o in outcomes),
            "passed_pct": round(100 * sum(o.passed for o in outcomes) / n, 1) if n else 0.0,
            "broken": sum(o.broken for o in outcomes), "refused": sum(o.refused for o in outcomes),
            "median_s": round(statistics.median(o.seconds for o in outcomes), 1) if n else 0.0,
            "total_s": round(sum(o.seconds for o in outcomes), 1),
            "tokens": sum(o.tokens for o in outcomes)}


def report(rows: list[Row], runs: list[str]) -> str:
    lines = ["| task | split | " + " | ".join(f"{r} | {r} s | {r} tokens" for r in runs) + " |",
             "|---|---|" + "---|---|---:|" * len(runs)]
    for row in rows:
        cells = [f"{_mark(getattr(row, r))} | {getattr(row, r).seconds:.1f} | {getattr(row, r).tokens}" for r in runs]
        lines.append(f"| {row.task} | {row.split} | " + " | ".join(cells) + " |")
    lines += ["", "| part | run | passed | broken | refused | median s | total s | tokens |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    for part, subset in (("all", rows), ("dev", [r for r in rows if r.split == "dev"]),
                         ("heldout", [r for r in rows if r.split == "heldout"])):
        if not subset:
            continue
        for run in runs:
            s = summary(subset, run)
            lines.append(f"| {part} | {run} | {s['passed']}/{s['tasks']} ({s['passed_pct']}%) | {s['broken']} | "
                         f"{s['refused']} | {s['median_s']} | {s['total_s']} | {s['tokens']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running llama-server (base URL); default: start one")
    parser.add_argument("--model", default="1.5b", help="the provisioned model to start (default 1.5b)")
    parser.add_argument("--threads", type=int, default=THREADS, help=f"llama-server threads (default {THREADS})")
    parser.add_argument("--only", help="comma-separated task ids")
    parser.add_argument("--split", choices=("dev", "heldout"))
    parser.add_argument("--runs", default="flow,raw", help="flow, raw or both (default flow,raw)")
    parser.add_argument("--json", metavar="PATH", help="also save the results as JSON")
    parser.add_argument("--verify", action="store_true", help="check the tasks themselves; no model")
    parser.add_argument("--debug", action="store_true", help="the server logs its prompts and raw answers")
    parser.add_argument("-v", "--verbose", action="store_true", help="why each failed run failed")
    args = parser.parse_args(argv)
    args.runs = [r for r in args.runs.split(",") if r in ("flow", "raw")]
    tasks = load_tasks(set(args.only.split(",")) if args.only else None, args.split)
    if args.verify:
        return verify(tasks)
    # The fake editor does not answer client/registerCapability; pygls says so for every task.
    logging.getLogger("pygls").setLevel(logging.CRITICAL)
    load_start = os.getloadavg()
    started = time.perf_counter()
    with model_server(args) as (url, model):
        rows = asyncio.run(run_all(tasks, args, url, model))
    wall = time.perf_counter() - started
    load_end = os.getloadavg()
    print(report(rows, args.runs))
    print(f"\nmodel {model} at {url}; {len(rows)} tasks in {wall / 60:.1f} min; "
          f"load average at start {load_start[0]:.2f}, at end {load_end[0]:.2f}")
    if args.json:
        data = {"model": model, "load_start": load_start, "load_end": load_end, "wall_s": round(wall, 1),
                "summary": {part: {run: summary(subset, run) for run in args.runs}
                            for part, subset in (("all", rows), ("dev", [r for r in rows if r.split == "dev"]),
                                                 ("heldout", [r for r in rows if r.split == "heldout"])) if subset},
                "tasks": [{"task": r.task, "split": r.split,
                           **{run: {**asdict(getattr(r, run)), "tokens": getattr(r, run).tokens} for run in args.runs}}
                          for r in rows]}
        Path(args.json).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
