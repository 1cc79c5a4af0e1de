"""Patterns built from the cache are the patterns ``re.compile`` builds, and
a cache that cannot be trusted or written costs time, never a wrong match."""

from __future__ import annotations

import binascii
import marshal
import re
import sys
from pathlib import Path

import pytest

from mycoder_lsp.regex_cache import PatternCache

PATTERNS = [
    (r"\bfix(?:es|ed|ing)?\b|\bbug(?:s|gy)?\b", re.IGNORECASE),
    (r"(?P<name>[A-Za-z_]\w*)\s*=\s*(?P<value>\d+)", 0),
    (r"^\s*(?:please\s+)?(?:explain|describe)\b", re.IGNORECASE | re.MULTILINE),
    (r"`([^`\n]{1,120})`", 0),
    ("caf\u00e9|na\u00efve", re.IGNORECASE),
]
TEXTS = ["Please explain it", "fixing bugs", "x = 42 and y=7", "call `foo()` now", "CAFÉ", "nothing here"]

cpython = pytest.mark.skipif(sys.implementation.name != "cpython" or sys.version_info < (3, 11),
                             reason="the cache keeps CPython 3.11+'s compiled form only")


def compile_all(directory: Path) -> tuple[PatternCache, list[re.Pattern[str]]]:
    cache = PatternCache("test", directory)
    compiled = [cache.compile(p, f) for p, f in PATTERNS]
    cache.close()
    return cache, compiled


def assert_same_as_re(compiled: list[re.Pattern[str]]) -> None:
    for (pattern, flags), got in zip(PATTERNS, compiled):
        want = re.compile(pattern, flags)
        assert got == want and got.flags == want.flags and got.groupindex == want.groupindex
        for text in TEXTS:
            found, expected = got.search(text), want.search(text)
            assert (found and (found.span(), found.groups())) == (expected and (expected.span(), expected.groups()))


@cpython
def test_a_second_process_builds_every_pattern_from_the_cache(tmp_path: Path):
    first, compiled = compile_all(tmp_path)
    assert first.added == len(PATTERNS) and first.path.is_file()
    assert_same_as_re(compiled)
    second, again = compile_all(tmp_path)
    assert second.added == 0  # nothing compiled the slow way, nothing written
    assert_same_as_re(again)


@cpython
def test_a_damaged_cache_is_not_used(tmp_path: Path):
    first, _ = compile_all(tmp_path)
    data = first.path.read_bytes()
    crc, _, payload = data.partition(b"\n")
    middle = len(data) // 2
    # A byte changed (the checksum no longer matches), a file cut short, a checksum that is
    # right for a payload marshal cannot read, and one that is right for entries of another shape.
    for damaged in (data[:middle] + bytes([data[middle] ^ 0x20]) + data[middle + 1:], data[:middle],
                    b"%08x\n" % binascii.crc32(b"\xff") + b"\xff",
                    b"%08x\n" % binascii.crc32(marshal.dumps([1, 2])) + marshal.dumps([1, 2])):
        assert damaged != data
        first.path.write_bytes(damaged)
        cache, compiled = compile_all(tmp_path)
        assert cache.added == len(PATTERNS)
        assert_same_as_re(compiled)


@cpython
def test_a_new_pattern_rewrites_the_file_with_what_this_process_used(tmp_path: Path):
    compile_all(tmp_path)
    cache = PatternCache("test", tmp_path)
    cache.compile(PATTERNS[0][0], PATTERNS[0][1])
    cache.compile(r"\bnew\b", 0)
    assert cache.added == 1
    cache.close()
    later = PatternCache("test", tmp_path)
    assert later.compile(r"\bnew\b", 0) == re.compile(r"\bnew\b") and later.added == 0
    assert later.compile(PATTERNS[1][0], PATTERNS[1][1]) is not None and later.added == 1  # dropped from the file


def test_an_unwritable_cache_directory_costs_only_time(tmp_path: Path):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    _, compiled = compile_all(blocked / "regex")
    assert_same_as_re(compiled)
    assert blocked.read_text() == "not a directory"


@cpython
def test_the_router_patterns_come_from_the_cache_unchanged(tmp_path: Path):
    # Every pattern the router compiles at import, through the cache and back.
    import mycoder_lsp.brains.router as router

    patterns = [(e[0], e[1]) for e in router._RX.used]
    assert len(patterns) >= 80
    cache = PatternCache("router", tmp_path)
    for pattern, flags in patterns:
        cache.compile(pattern, flags)
    cache.close()
    again = PatternCache("router", tmp_path)
    for pattern, flags in patterns:
        assert again.compile(pattern, flags) == re.compile(pattern, flags)
    assert again.added == 0
