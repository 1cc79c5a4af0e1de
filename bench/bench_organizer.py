"""Organizer benchmark: rules alone, rules + a real model, and the model alone.

Runs the labelled set ``tests/data/router_labelled.jsonl`` (symbols from
``tests/data/router_workspace/``) through :meth:`IntentRouter.route` with a
real organizer on an OpenAI-compatible server (llama.cpp's ``llama-server``)
or Ollama, and prints, for the dev and the held-out part separately:

- intent accuracy of the rules alone (``route --offline``);
- intent accuracy of rules + organizer (the default path: only requests the
  rules are unsure of reach the model, its choice stands when the gate lets
  it), for each confidence threshold in ``--thresholds``;
- with ``--all``, the model alone (its choice on every request);
- how many requests reached the model, and the median / p95 latency of one
  organizer call.

The model is asked once per request; every threshold replays the recorded
answers through the same ``route()`` (so thresholds cost nothing). The dev
part is where the threshold is chosen; the held-out part only reports.

Usage::

    python bench/bench_organizer.py --url http://127.0.0.1:8080 --model qwen2.5-coder-0.5b
    python bench/bench_organizer.py --start 0.5b --all      # starts llama-server from the model cache
    python bench/bench_organizer.py --url ... --save answers.jsonl   # keep the raw probabilities
    python bench/bench_organizer.py --answers answers.jsonl          # replay them (after a rule change)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mycoder_lsp.brains.backends import make_brain  # noqa: E402
from mycoder_lsp.brains.router import (  # noqa: E402
    ORGANIZER_LABELS,
    ORGANIZER_MIN_CONFIDENCE,
    IntentRouter,
    SymbolIndex,
    organizer_messages,
)
from mycoder_lsp.brains.wire.base import Choice  # noqa: E402
from mycoder_lsp.code.symbol_index import workspace_symbol_names  # noqa: E402
from mycoder_lsp.config import Settings  # noqa: E402

DATA = ROOT / "tests" / "data"


@dataclass
class Asked:
    """One request the model answered: its choice and how long it took."""

    choice: Choice | None
    seconds: float


@dataclass
class Replay:
    """An organizer that answers from recorded choices (the same route()
    runs for every threshold, the model is asked once)."""

    answers: dict[str, Asked]
    asked: list[str] = field(default_factory=list)

    async def choose(self, messages: list[dict[str, str]], labels: Sequence[str]) -> Choice | None:
        text = messages[-1]["content"].removeprefix("Request: ")
        self.asked.append(text)
        return self.answers[text].choice


def load_cases() -> list[dict[str, Any]]:
    with (DATA / "router_labelled.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


async def ask_model(settings: Settings, texts: list[str]) -> dict[str, Asked]:
    brain = make_brain("organizer", settings)
    labels = tuple(ORGANIZER_LABELS)
    answers: dict[str, Asked] = {}
    for number, text in enumerate(texts, 1):
        t0 = time.perf_counter()
        try:
            choice = await brain.choose(organizer_messages(text), labels)
        except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not stop
            print(f"  organizer failed on {text!r}: {exc}", file=sys.stderr)
            choice = None
        answers[text] = Asked(choice, time.perf_counter() - t0)
        if number % 25 == 0:
            print(f"  ... {number}/{len(texts)} asked", file=sys.stderr)
    return answers


def load_answers(path: Path) -> dict[str, Asked]:
    answers: dict[str, Asked] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        choice = Choice(row["probabilities"], bool(row["scored"])) if row["probabilities"] else None
        answers[row["text"]] = Asked(choice, float(row["seconds"]))
    return answers


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


def report(cases: list[dict[str, Any]], names: SymbolIndex, answers: dict[str, Asked], thresholds: list[float],
           model_alone: bool) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for split in ("dev", "heldout"):
        part = [c for c in cases if c["split"] == split]
        n = len(part)
        if not n:
            continue
        rules = IntentRouter()
        guesses = [rules.guess(c["text"], names) for c in part]
        unsure = [c for c, g in zip(part, guesses) if g.via != "rules"]
        row: dict[str, Any] = {"n": n, "reach_model": len(unsure)}
        row["rules"] = sum(g.intent == c["intent"] for g, c in zip(guesses, part)) / n
        print(f"\n[{split}] {n} requests, {len(unsure)} reach the model ({len(unsure) / n:.1%})")
        print(f"  rules alone                 {row['rules']:6.1%}")
        for threshold in thresholds:
            settings = Settings()
            settings.brains.organizer_min_confidence = threshold
            router = IntentRouter(settings)
            replay = Replay(answers)
            decisions = [asyncio.run(router.route(c["text"], symbols=names, organizer=replay)) for c in part]
            right = sum(d.intent == c["intent"] for d, c in zip(decisions, part))
            overridden = sum(d.via == "organizer" and d.intent != g.intent for d, g in zip(decisions, guesses))
            row[f"rules+model@{threshold:g}"] = right / n
            print(f"  rules + model, gate {threshold:4.2f}   {right / n:6.1%}  "
                  f"(the model overrode the rules {overridden} times)")
        if model_alone:
            picked = [answers[c["text"]].choice for c in part]
            right = sum(ch is not None and ORGANIZER_LABELS[ch.best[0]] == c["intent"] for ch, c in zip(picked, part))
            row["model alone"] = right / n
            print(f"  model alone                 {right / n:6.1%}")
        seconds = [answers[c["text"]].seconds for c in unsure if c["text"] in answers]
        if seconds:
            row["median_s"], row["p95_s"] = statistics.median(seconds), percentile(seconds, 0.95)
            print(f"  organizer call median {row['median_s']:.2f} s, p95 {row['p95_s']:.2f} s "
                  f"({len(seconds)} calls)")
        # How right the model is at each confidence, on the requests that reach it.
        scored = [(answers[c["text"]].choice, c) for c in unsure if answers.get(c["text"])]
        scored = [(ch, c) for ch, c in scored if ch is not None]
        if scored:
            print("  on those, model's top choice right when its probability is:")
            for low, high in ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)):
                band = [(ch, c) for ch, c in scored if low <= ch.best[1] < high]
                if band:
                    ok = sum(ORGANIZER_LABELS[ch.best[0]] == c["intent"] for ch, c in band)
                    print(f"    [{low:.1f}, {min(high, 1.0):.1f})  {ok}/{len(band)}")
        figures[split] = row
    return figures


@contextlib.contextmanager
def started_server(key: str, threads: int) -> Iterator[str]:
    """llama-server for model ``key`` from the provisioned cache, as the
    real-model tests start it; yields its URL."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("provision_models", ROOT / "scripts" / "provision_models.py")
    assert spec is not None and spec.loader is not None
    provision = importlib.util.module_from_spec(spec)
    sys.modules["provision_models"] = provision
    spec.loader.exec_module(provision)
    from tests.realmodel.llama_server import run_llama_server

    root = provision.cache_root()
    engine, weights = provision.engine_status(root), provision.model_status(root, key)
    for status in (engine, weights):
        if not status.ready:
            raise SystemExit(f"{status.what}: {status.problem} — run `{provision.PROVISION_COMMAND} --model {key}`")
    with tempfile.TemporaryDirectory() as tmp:
        with run_llama_server(engine.path, weights.path, alias=f"qwen2.5-coder-{key}", log=Path(tmp) / "log",
                              threads=threads) as server:
            yield server.url


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="the organizer's server (default: --start one)")
    ap.add_argument("--model", default="organizer", help="the model name the server answers to")
    ap.add_argument("--backend", choices=("openai", "ollama"), default="openai")
    ap.add_argument("--start", metavar="MODEL", help="start llama-server for 0.5b or 1.5b from the model cache")
    ap.add_argument("--threads", type=int, default=1, help="llama-server threads with --start")
    ap.add_argument("--all", action="store_true", help="also ask the model about every request (model alone)")
    ap.add_argument("--split", choices=("dev", "heldout"), help="only this part")
    ap.add_argument("--thresholds", default=f"0,0.4,{ORGANIZER_MIN_CONFIDENCE:g},0.6,0.7,0.8,0.9",
                    help="gate thresholds to report, comma-separated")
    ap.add_argument("--save", type=Path, help="write the recorded choices here (JSONL)")
    ap.add_argument("--answers", type=Path, help="replay choices written by --save instead of asking a model")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()
    if not args.url and not args.start and not args.answers:
        ap.error("give --url, --start or --answers")

    cases = [c for c in load_cases() if not args.split or c["split"] == args.split]
    names = SymbolIndex.of(workspace_symbol_names(DATA / "router_workspace"))
    rules = IntentRouter()
    texts = [c["text"] for c in cases if args.all or rules.guess(c["text"], names).via != "rules"]
    thresholds = [float(t) for t in args.thresholds.split(",")]

    if args.answers:
        answers = load_answers(args.answers)
        missing = [t for t in texts if t not in answers]
        if missing:
            raise SystemExit(f"{args.answers} has no answer for {len(missing)} requests, e.g. {missing[0]!r}")
        figures = report(cases, names, answers, thresholds, args.all)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        return 0
    with contextlib.ExitStack() as stack:
        url = args.url or stack.enter_context(started_server(args.start, args.threads))
        settings = Settings()
        brain = settings.brains.organizer
        brain.url, brain.backend, brain.model, brain.timeout = url, args.backend, args.model, 120.0
        print(f"organizer benchmark: {len(cases)} labelled requests, asking {brain.model} at {url} "
              f"about {len(texts)}", file=sys.stderr)
        t0 = time.perf_counter()
        answers = asyncio.run(ask_model(settings, list(dict.fromkeys(texts))))
        print(f"asked in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    if args.save:
        with args.save.open("w", encoding="utf-8") as fh:
            for text, asked in answers.items():
                probs = asked.choice.probabilities if asked.choice else None
                fh.write(json.dumps({"text": text, "probabilities": probs, "seconds": round(asked.seconds, 3),
                                     "scored": asked.choice.scored if asked.choice else None}) + "\n")
    figures = report(cases, names, answers, thresholds, args.all)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
