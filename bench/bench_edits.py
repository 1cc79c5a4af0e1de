"""Edit fidelity: raw model outputs turned into edits, or refused.

Each case in ``tests/data/edit_cases/<name>/`` has the document
(``before.*``), the raw model answer (``raw.txt``), ``case.json``
(language, target qualname, selection, expect ``edit`` | ``refuse``, batch:
``dev`` cases were written alongside the code, ``blind`` ones after it and
measured once before any fix) and, for
edits, the expected document (``after.*``). The cases run through the same
functions the orchestrator uses: ``extract_code`` → ``plan_edit`` (+
``extract_imports`` → ``plan_imports`` for imports the answer adds) →
``apply_plans``. Printed:

- correct edits: expected ``edit`` and the result equals ``after.*``;
- correct refusals: expected ``refuse`` and ``EditRefused`` was raised;
- broken files: any applied result that does not parse (must be 0);
- wrong: everything else (a wrong edit, or a refusal of a good answer).

Usage: python bench/bench_edits.py [-v]
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from mycoder_lsp.brains.edits import (
    EditRefused,
    apply_plans,
    extract_code,
    extract_imports,
    is_parseable,
    plan_edit,
    plan_imports,
)
from mycoder_lsp.code.symbols import document_symbols, find_symbol

CASES = Path(__file__).resolve().parent.parent / "tests" / "data" / "edit_cases"


@dataclass
class Outcome:
    name: str
    expect: str
    got: str  # edit | refuse | error
    correct: bool
    broken: bool
    detail: str = ""
    batch: str = ""


def _read(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as fh:
        return fh.read()


def run_case(case_dir: Path) -> Outcome:
    meta = json.loads((case_dir / "case.json").read_text(encoding="utf-8"))
    outcome = _run(case_dir, meta)
    outcome.batch = meta.get("batch", "")
    return outcome


def _run(case_dir: Path, meta: dict) -> Outcome:
    language = meta["language"]
    before = _read(next(case_dir.glob("before.*")))
    raw = _read(case_dir / "raw.txt")
    after_files = list(case_dir.glob("after.*"))
    expected = _read(after_files[0]) if after_files else None
    target = None
    if meta.get("target"):
        target = find_symbol(document_symbols(before, language), meta["target"])
        if target is None:
            return Outcome(case_dir.name, meta["expect"], "error", False, False, f"no symbol {meta['target']}")
    selection = tuple(meta["selection"]) if meta.get("selection") else None
    try:
        code = extract_code(raw, language=language, target=target, document=before)
        plan = plan_edit(before, language=language, target=target, selection=selection, new_code=code)
        # Imports the answer adds go in as a second edit (Python).
        imports = plan_imports(before, extract_imports(raw, language=language, document=before), language=language)
        result = apply_plans(before, [plan, imports] if imports else [plan])
    except EditRefused as exc:
        return Outcome(case_dir.name, meta["expect"], "refuse", meta["expect"] == "refuse", False, str(exc))
    broken = not is_parseable(result, language)
    correct = meta["expect"] == "edit" and result == expected
    detail = "" if correct else _first_difference(expected or "", result)
    return Outcome(case_dir.name, meta["expect"], "edit", correct, broken, detail)


def _first_difference(expected: str, got: str) -> str:
    exp, res = expected.splitlines(), got.splitlines()
    for i, (a, b) in enumerate(zip(exp, res)):
        if a != b:
            return f"line {i + 1}: expected {a!r}, got {b!r}"
    return f"expected {len(exp)} lines, got {len(res)}"


def run_all() -> list[Outcome]:
    return [run_case(d) for d in sorted(CASES.iterdir()) if (d / "case.json").exists()]


def main() -> int:
    verbose = "-v" in sys.argv
    t0 = time.perf_counter()
    outcomes = run_all()
    ms = (time.perf_counter() - t0) * 1000
    n = len(outcomes)
    edits = [o for o in outcomes if o.expect == "edit"]
    refusals = [o for o in outcomes if o.expect == "refuse"]
    correct = sum(o.correct for o in outcomes)
    print(f"edit fidelity: {n} raw model outputs ({len(edits)} to apply, {len(refusals)} to refuse), {ms:.0f} ms")
    print(f"  correct overall              {correct}/{n} = {correct / n:.1%}")
    print(f"  turned into the correct edit {sum(o.correct for o in edits)}/{len(edits)}")
    print(f"  correctly refused            {sum(o.correct for o in refusals)}/{len(refusals)}")
    print(f"  broken files                 {sum(o.broken for o in outcomes)}")
    batches = sorted({o.batch for o in outcomes})
    if len(batches) > 1:
        for batch in batches:
            sub = [o for o in outcomes if o.batch == batch]
            print(f"    batch {batch:6} {len(sub):3} cases: correct {sum(o.correct for o in sub)}/{len(sub)}, "
                  f"broken {sum(o.broken for o in sub)}")
    for o in outcomes:
        if verbose or not o.correct:
            mark = "ok " if o.correct else "BAD"
            print(f"  {mark} {o.name}: expected {o.expect}, got {o.got} {o.detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
