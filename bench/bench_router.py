"""Router benchmark: accuracy, fast-path share and fast-path latency.

Runs the rule-based router (no model: what `mycoder-lsp route --offline`
does) over the labelled set ``tests/data/router_labelled.jsonl`` with the
symbols of ``tests/data/router_workspace/`` and prints, for the dev and the
held-out part separately:

- intent accuracy, target accuracy, and both right together;
- the share the fast path answered (``via == "rules"``: the organizer would
  never be woken) and the accuracy on that share;
- the median and p95 latency of ``route_fast``;
- the same per batch of the set (``batch``: the held-out requests were
  written in batches, each measured once before any rule change after it).

Usage: python bench/bench_router.py [--errors] [--split dev|heldout]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from mycoder_lsp.brains.router import IntentRouter
from mycoder_lsp.code.symbol_index import workspace_symbol_names

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def load_cases() -> list[dict]:
    with (DATA / "router_labelled.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--errors", action="store_true", help="print the misrouted requests")
    ap.add_argument("--split", choices=("dev", "heldout"), help="only this part")
    ap.add_argument("--repeat", type=int, default=20, help="timing repetitions per request")
    args = ap.parse_args()

    names = workspace_symbol_names(DATA / "router_workspace")
    router = IntentRouter()
    cases = load_cases()
    print(f"router benchmark: {len(cases)} labelled requests, {len(names)} workspace symbols")
    for split in ("dev", "heldout"):
        if args.split and split != args.split:
            continue
        part = [c for c in cases if c["split"] == split]
        intent_ok = target_ok = both_ok = fast = fast_ok = 0
        times: list[float] = []
        for case in part:
            decision = router.guess(case["text"], names)
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                router.route_fast(case["text"], names)
                times.append((time.perf_counter() - t0) * 1000)
            i_ok = decision.intent == case["intent"]
            t_ok = decision.target == case["target"]
            intent_ok += i_ok
            target_ok += t_ok
            both_ok += i_ok and t_ok
            if decision.via == "rules":
                fast += 1
                fast_ok += i_ok
            if args.errors and not (i_ok and t_ok):
                print(
                    f"  {case['id']} {decision.via:8} got {decision.intent}/{decision.target} "
                    f"want {case['intent']}/{case['target']}: {case['text']}",
                    file=sys.stderr,
                )
        n = len(part)
        times.sort()
        print(f"\n[{split}] {n} requests")
        print(f"  intent accuracy          {intent_ok / n:6.1%}")
        print(f"  target accuracy          {target_ok / n:6.1%}")
        print(f"  intent+target accuracy   {both_ok / n:6.1%}")
        print(f"  fast path share          {fast / n:6.1%}  (never wakes the organizer)")
        print(f"  accuracy on fast path    {fast_ok / max(fast, 1):6.1%}")
        print(f"  route_fast median        {statistics.median(times) * 1000:6.1f} µs")
        print(f"  route_fast p95           {times[int(len(times) * 0.95)] * 1000:6.1f} µs")
        batches = sorted({c.get("batch", "") for c in part})
        if len(batches) > 1:
            for batch in batches:
                sub = [c for c in part if c.get("batch", "") == batch]
                ds = [router.guess(c["text"], names) for c in sub]
                acc = sum(d.intent == c["intent"] for d, c in zip(ds, sub)) / len(sub)
                both = sum(d.intent == c["intent"] and d.target == c["target"] for d, c in zip(ds, sub)) / len(sub)
                share = sum(d.via == "rules" for d in ds) / len(sub)
                print(f"    batch {batch:5} {len(sub):3} requests: intent {acc:6.1%}, "
                      f"intent+target {both:6.1%}, fast path {share:6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
