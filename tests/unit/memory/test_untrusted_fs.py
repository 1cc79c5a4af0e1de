"""An opened repository is untrusted input: planted symbolic links, a vault
path that leads out, secrets nobody git-ignored, a stray file's home directory
and a symlinked ``ask --apply --file`` must never touch anything outside.

Every planted link points at an "outside" file or directory whose bytes and
mode are checked afterwards.
"""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mycoder_lsp.code.workspace import iter_source_files
from mycoder_lsp.config import Settings
from mycoder_lsp.memory.store import VaultRefused
from mycoder_lsp.memory.vault import STRAY_FILE_LIMIT, Vault
from tests.support.fake_ollama import FakeOllama

from .conftest import write_tree

PRECIOUS = b"the user's own file, not the vault's\n"
NOBODY = 65534


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the workspace, 0644, that nothing may change."""
    target = tmp_path / "outside" / "precious.txt"
    target.parent.mkdir()
    target.write_bytes(PRECIOUS)
    target.chmod(0o644)
    return target


def untouched(target: Path) -> bool:
    st = os.stat(target)
    return target.read_bytes() == PRECIOUS and stat.S_IMODE(st.st_mode) == 0o644


def open_and_index(root: Path, settings: Settings | None = None) -> None:
    vault = Vault.open(root, settings or Settings())
    try:
        asyncio.run(vault.index())
    finally:
        vault.close()


# -- the vault directory ----------------------------------------------------------


@pytest.mark.parametrize("name", [".gitignore.tmp", ".gitignore", "vault.db", "vault.db-wal", "vault.db-shm",
                                  "vault.db-journal", "index.lock"])
def test_a_planted_link_in_the_vault_is_refused_and_its_target_kept(workspace, outside, name):
    (workspace / ".mycoder").mkdir()
    (workspace / ".mycoder" / name).symlink_to(outside)
    with pytest.raises(VaultRefused, match=f"{name} in it is a symbolic link"):
        open_and_index(workspace)
    assert untouched(outside)
    assert (workspace / ".mycoder" / name).is_symlink()


def test_a_linked_vault_directory_is_refused(workspace, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o755)
    elsewhere.chmod(0o755)
    (workspace / ".mycoder").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(VaultRefused, match="is a symbolic link"):
        open_and_index(workspace)
    assert list(elsewhere.iterdir()) == [] and stat.S_IMODE(elsewhere.stat().st_mode) == 0o755


def test_a_hard_link_in_the_vault_is_refused(workspace, outside):
    (workspace / ".mycoder").mkdir()
    os.link(outside, workspace / ".mycoder" / ".gitignore.tmp")
    with pytest.raises(VaultRefused, match="other hard links"):
        open_and_index(workspace)
    assert untouched(outside)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the directory to another user")
def test_a_vault_directory_of_another_user_is_refused(workspace):
    (workspace / ".mycoder").mkdir()
    os.chown(workspace / ".mycoder", NOBODY, NOBODY)
    with pytest.raises(VaultRefused, match="belongs to another user"):
        open_and_index(workspace)
    assert list((workspace / ".mycoder").iterdir()) == []


@pytest.mark.parametrize("configured", ["../elsewhere/.mycoder", "link/.mycoder"])
def test_a_relative_vault_path_must_stay_inside_the_workspace(workspace, tmp_path, configured):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (workspace / "link").symlink_to(elsewhere, target_is_directory=True)
    settings = Settings()
    settings.vault.path = configured
    with pytest.raises(VaultRefused):
        open_and_index(workspace, settings)
    assert list(elsewhere.iterdir()) == []


def test_an_absolute_vault_path_from_the_users_settings_is_used(workspace, tmp_path):
    settings = Settings()
    settings.vault.path = str(tmp_path / "vaults" / "ws")
    open_and_index(workspace, settings)
    assert (tmp_path / "vaults" / "ws" / "vault.db").is_file()
    assert not (workspace / ".mycoder").exists()


def test_files_are_private_and_nothing_found_is_chmod_ed(workspace):
    vault = Vault.open(workspace, Settings())
    asyncio.run(vault.index())
    vault.record_pattern(signature="def f():", user_intent="x", old_code="", new_code="y")
    vault_dir = workspace / ".mycoder"
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in vault_dir.iterdir()}
    vault.close()
    assert stat.S_IMODE(vault_dir.stat().st_mode) == 0o700
    # SQLite gives -wal/-shm the database's mode.
    assert {modes[n] for n in ("vault.db", "vault.db-wal", "vault.db-shm", "index.lock", ".gitignore")} == {0o600}
    # A directory the user made (0750) and opened again: left as it is.
    vault_dir.chmod(0o750)
    Vault.open(workspace, Settings()).close()
    assert stat.S_IMODE(vault_dir.stat().st_mode) == 0o750


def test_moving_a_broken_vault_aside_never_renames_over_a_planted_name(workspace, outside):
    vault_dir = workspace / ".mycoder"
    vault_dir.mkdir()
    (vault_dir / "vault.db").write_bytes(b"this is not a database" * 100)
    now = time.time()
    planted = [vault_dir / f"vault.db.broken-{time.strftime('%Y%m%d-%H%M%S', time.localtime(now + d))}"
               for d in range(3)]
    for link in planted:
        link.symlink_to(outside)
    vault = Vault.open(workspace, Settings())
    assert vault.notice and "moved to vault.db.broken-" in vault.notice
    vault.close()
    assert all(link.is_symlink() for link in planted) and untouched(outside)
    moved = [p for p in vault_dir.glob("vault.db.broken-*") if not p.is_symlink()]
    assert len(moved) == 1 and moved[0].read_bytes().startswith(b"this is not a database")


# -- what is indexed -----------------------------------------------------------------

SECRETS = [".env", ".env.production", "deploy/prod.env", "id_rsa", "keys/id_ed25519", "tls/server.pem",
           "tls/server.key"]


def hostile_tree(root: Path, tmp_path: Path) -> None:
    secret_dir = tmp_path / "home"
    write_tree(secret_dir, {"stolen.py": "def stolen_credentials():\n    return 'x'\n"})
    write_tree(root, {"app.py": "def handler():\n    return 1\n", "pyproject.toml": "[project]\nname = 'w'\n",
                      **{rel: "API_TOKEN=s3cr3t-value\n" for rel in SECRETS}})
    (root / "home").symlink_to(secret_dir, target_is_directory=True)
    (root / "leak.py").symlink_to(secret_dir / "stolen.py")


@pytest.mark.parametrize("git", [False, True])
def test_indexing_follows_no_link_out_and_skips_secrets(tmp_path, git):
    root = tmp_path / "ws"
    hostile_tree(root, tmp_path)
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    vault = Vault.open(root, Settings())
    try:
        report = asyncio.run(vault.index())
        indexed = {r[0] for r in vault.store.query("SELECT path FROM files")}
        assert indexed == {"app.py", "pyproject.toml"}, report
        assert all(hit.name != "stolen_credentials" for hit in vault.search_sync("stolen credentials", 5))
        ids = [r[0] for r in vault.store.query("SELECT id FROM chunks")]
        assert not any("s3cr3t" in text for text in vault.store.chunk_contents(ids).values())
        # Saving one of them (the editor follows every save) changes nothing either.
        for rel in [*SECRETS, "leak.py", "home/stolen.py"]:
            assert asyncio.run(vault.reindex_file(root / rel)) == 0
        assert {r[0] for r in vault.store.query("SELECT path FROM files")} == {"app.py", "pyproject.toml"}
    finally:
        vault.close()


def test_check_walks_no_link_and_no_secret(tmp_path):
    root = tmp_path / "ws"
    hostile_tree(root, tmp_path)
    write_tree(root, {"settings.key.py": "x = 1\n"})
    found = sorted(p.relative_to(root).as_posix() for p in iter_source_files(root, root))
    assert found == ["app.py", "settings.key.py"]


def test_a_directory_without_a_project_marker_gets_a_capped_index(tmp_path):
    home = tmp_path / "home"
    write_tree(home, {f"notes/n{i:03}.md": f"# note {i}\n" for i in range(STRAY_FILE_LIMIT + 30)})
    vault = Vault.open(home, Settings())
    report = asyncio.run(vault.index())
    assert report.capped and report.files == STRAY_FILE_LIMIT
    assert report.notice and "is not a project" in report.notice and "pyproject.toml" in report.notice
    # A new file saved there does not grow the vault past the limit.
    write_tree(home, {"script.py": "def main():\n    pass\n"})
    assert asyncio.run(vault.reindex_file(home / "script.py")) == 0
    vault.close()
    # The .mycoder the vault made there is no project marker: still capped the next time.
    again = Vault.open(home, Settings())
    assert asyncio.run(again.index()).files == STRAY_FILE_LIMIT
    again.close()
    # A project marker lifts the cap.
    (home / "pyproject.toml").write_text("[project]\nname = 'h'\n")
    marked = Vault.open(home, Settings())
    report = asyncio.run(marked.index())
    assert not report.capped and report.files == STRAY_FILE_LIMIT + 32
    marked.close()


def test_cli_index_says_why_it_is_capped_and_all_lifts_it(tmp_path):
    home = tmp_path / "home"
    write_tree(home, {f"n{i:03}.md": f"# note {i}\n" for i in range(STRAY_FILE_LIMIT + 5)})
    capped = cli(home, "index", "--root", str(home))
    assert capped.returncode == 0 and f"{STRAY_FILE_LIMIT} files" in capped.stdout
    assert "is not a project" in capped.stderr and "--all" in capped.stderr
    full = cli(home, "index", "--root", str(home), "--all")
    assert f"{STRAY_FILE_LIMIT + 5} files" in full.stdout and full.stderr == ""


def test_cli_index_in_a_hostile_workspace_says_why_and_writes_nothing(workspace, outside):
    (workspace / ".mycoder").mkdir()
    (workspace / ".mycoder" / "vault.db").symlink_to(outside)
    out = cli(workspace, "index", "--root", str(workspace))
    assert out.returncode == 2 and "vault.db in it is a symbolic link" in out.stderr
    assert untouched(outside)


# -- ask --apply -----------------------------------------------------------------------

DOC = "def parse(text):\n    return [line for line in text.splitlines() if line]\n"
CODING = "codellama:7b"


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(root.parent / "xdg"), "HOME": str(root.parent)}
    return subprocess.run([sys.executable, "-m", "mycoder_lsp", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=60)


def ask_apply(root: Path, fake_ollama: FakeOllama, file: str) -> subprocess.CompletedProcess[str]:
    # The model's address in the user's own settings (the project's are untrusted).
    user_config = root.parent / "xdg" / "mycoder" / "config.toml"
    user_config.parent.mkdir(parents=True, exist_ok=True)
    user_config.write_text("".join(f'[brains.{n}]\nurl = "{fake_ollama.url}"\n'
                                   for n in ("organizer", "coding", "reasoning")) + "[vault]\nenabled = false\n")
    fake_ollama.reply('```python\ndef parse(text):\n    """Return the lines."""\n'
                      '    return [line for line in text.splitlines() if line]\n```', model=CODING)
    out = cli(root, "ask", "--root", str(root), "--apply", "--file", file, "--symbol", "parse", "--kind", "modify",
              "add a docstring")
    assert out.returncode == 0, out.stderr
    return out


def test_ask_apply_keeps_mode_and_owner(tmp_path, fake_ollama):
    root = tmp_path / "ws"
    write_tree(root, {"m.py": DOC})
    (root / "m.py").chmod(0o644)
    if os.geteuid() == 0:
        os.chown(root / "m.py", NOBODY, NOBODY)
    before = os.stat(root / "m.py")
    ask_apply(root, fake_ollama, "m.py")
    after = os.stat(root / "m.py")
    assert '"""Return the lines."""' in (root / "m.py").read_text()
    assert stat.S_IMODE(after.st_mode) == 0o644
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)
    assert sorted(p.name for p in root.iterdir()) == ["m.py"]  # no temporary file left


def test_ask_apply_through_a_symlink_writes_its_target(tmp_path, fake_ollama):
    root = tmp_path / "ws"
    write_tree(root, {"src/real.py": DOC})
    (root / "src/real.py").chmod(0o644)
    (root / "m.py").symlink_to("src/real.py")
    ask_apply(root, fake_ollama, "m.py")
    assert (root / "m.py").is_symlink() and os.readlink(root / "m.py") == "src/real.py"
    assert '"""Return the lines."""' in (root / "src/real.py").read_text()
    assert stat.S_IMODE((root / "src/real.py").stat().st_mode) == 0o644


def test_ask_apply_keeps_hard_links(tmp_path, fake_ollama):
    root = tmp_path / "ws"
    write_tree(root, {"m.py": DOC})
    os.link(root / "m.py", tmp_path / "other-name.py")
    ask_apply(root, fake_ollama, "m.py")
    assert (tmp_path / "other-name.py").read_text() == (root / "m.py").read_text() != DOC
