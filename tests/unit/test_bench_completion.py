"""The completion benchmark's sampling and scoring (bench/bench_completion.py),
without a model: the points must be the same on every run and what the
metrics say they are."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bench import bench_completion as bench

# No tokenizer: the sampler uses its pessimistic chars/token.
NO_SERVER = None


@pytest.fixture(scope="module")
def sources() -> dict[str, list[bench.Source]]:
    return bench.load_sources()


def test_sampling_is_deterministic_stratified_and_cut_from_the_real_files(sources) -> None:
    points = bench.sample(sources, 8, NO_SERVER, 256, 64, 256)
    again = bench.sample(sources, 8, NO_SERVER, 256, 64, 256)
    assert [p.id for p in points] == [p.id for p in again]
    assert sorted((p.kind, p.cross_file) for p in points) == sorted(
        [("block", False)] * 2 + [("block", True)] * 2 + [("line", False)] * 2 + [("line", True)] * 2)
    files = {s.path: s for group in sources.values() for s in group}
    for point in points:
        source = files[point.path]
        lines = source.lines[point.line:point.line + point.target.count("\n") + 1]
        assert point.target == "\n".join([lines[0][point.character:], *lines[1:]])
        assert source.lines[point.line][:point.character].endswith(point.prefix.split("\n")[-1])
        # The model never sees the target: not in the window, nor the names it needs.
        window = point.prefix + point.suffix
        assert not any(name in bench.identifiers(window) for name in point.needs)
        if point.kind == "block":  # whole statements: the file parses without them
            end = point.line + point.target.count("\n")
            ast.parse("\n".join(source.lines[:point.line] + source.lines[end + 1:]))
        assert point.path not in {path for path, _ in point.context}


def test_metrics() -> None:
    assert bench.levenshtein("kitten", "sitting") == 3
    assert bench.similarity("abc", "abc") == 1.0 and bench.similarity("", "abcd") == 0.0
    assert bench.ident_f1("foo(bar)", "foo(bar)") == 1.0
    assert bench.ident_f1("foo(baz)", "foo(bar)") == pytest.approx(0.5)
    assert bench.ident_f1("return x", "return y") == 0.0  # keywords are not identifiers


def test_post_check_proxy_sees_a_broken_parse_and_a_repeated_line() -> None:
    text = "def f(x):\n    y = g(x)\n    return y\n"
    tree = ast.parse(text)
    source = bench.Source("p", "p/m.py", text, text.splitlines(), tree, {"f"}, bench._names(text), Path("."))
    point = bench.Point(id="p/m.py:2:line", package="p", path="p/m.py", kind="line", line=1, character=10,
                        target="x)", prefix="def f(x):\n    y = g(", suffix="\n    return y\n", cross_file=False,
                        needs=[], split="dev")
    assert bench.drop_reason(point, source, ["x)"]) == ""
    assert bench.drop_reason(point, source, ["x"]) == "parse"
    outcome = bench.score(point, source, "raw", "x)\nmore", 0.1, 0.05, 10)
    assert outcome.exact and outcome.text == "x)" and outcome.similarity == 1.0
    block = bench.Point(id="p/m.py:2:block", package="p", path="p/m.py", kind="block", line=1, character=4,
                        target="y = g(x)", prefix="def f(x):\n    ", suffix="\n    return y\n", cross_file=False,
                        needs=[], split="dev")
    assert bench.drop_reason(block, source, ["return y"]) == "repeat"


def test_the_engine_workspace_is_a_copy_of_the_package_alone(sources) -> None:
    source = sources["h11"][0]
    root = bench.workspace("h11", source.root)
    assert root.name == "h11" and [p.name for p in root.iterdir()] == ["h11"]
    assert (root / source.path).read_text(encoding="utf-8") == source.text
    assert bench.workspace("h11", source.root) == root  # made once per run


def test_engine_configurations_are_parsed_and_a_wrong_key_refused() -> None:
    configs = bench.parse_configs("spec:url=http://127.0.0.1:18233,budget=512;short:suffix_share=0.05,max_lines=1")
    assert configs == [bench.EngineConfig("spec", "http://127.0.0.1:18233", 512),
                       bench.EngineConfig("short", suffix_share=0.05, max_lines=1)]
    assert bench.parse_configs("") == []
    with pytest.raises(ValueError, match="budgett"):
        bench.parse_configs("x:budgett=5")


def _point(id: str, kind: str, cross: bool) -> bench.Point:
    return bench.Point(id=id, package="p", path="p/m.py", kind=kind, line=0, character=0, target="x", prefix="",
                       suffix="", cross_file=cross, needs=[], split="dev")


def test_points_go_in_turns_of_kind_and_a_run_resumes(tmp_path: Path) -> None:
    points = [_point("a", "line", False), _point("b", "line", False), _point("c", "block", True),
              _point("d", "line", True)]
    assert [p.id for p in bench.interleaved(points)] == ["c", "a", "d", "b"]
    partial = tmp_path / "run.partial.jsonl"
    outcome = bench.Outcome("a", "engine", "x", True, 1.0, 1.0, "", 0.5, None, 10)
    rows = [{"model": "m", **bench.asdict(outcome)},
            {"model": "m", **bench.asdict(bench.replace(outcome, variant="engine+vault"))},
            {"model": "m", **bench.asdict(bench.replace(outcome, point="b"))},  # one variant only: run again
            {"model": "other", **bench.asdict(bench.replace(outcome, point="c"))}]
    partial.write_text("".join(bench.json.dumps(r) + "\n" for r in rows))
    done = bench.resumed(partial, "m", ["engine", "engine+vault"], [])
    assert list(done) == ["a"] and [o.variant for o in done["a"]] == ["engine", "engine+vault"]
