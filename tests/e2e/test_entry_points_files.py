"""``check``, ``index`` and ``route``, run as a user runs them, see the same
files of one workspace: a nested ``.gitignore``, build output, a virtualenv
not called ``.venv``, a dot-directory and installed packages. (They used to
see three different sets: each walked the tree its own way.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mycoder_lsp.config import Settings
from mycoder_lsp.memory.vault import Vault

ROOT = Path(__file__).resolve().parents[2]
SOURCE = (".py", ".js", ".ts", ".go", ".rs")
FILES = {
    "pyproject.toml": "[project]\nname = 'shop'\n",
    "shop/__init__.py": "",
    "shop/cart.py": "def cart_total(items):\n    return sum(items)\n",
    "shop/generated/schema.py": "def generated():\n    return 1\n",
    "shop/generated/keep.py": "def kept_generated():\n    return 1\n",
    "shop/web/app.ts": "export function renderCart(): number {\n  return 1;\n}\n",
    "notes.py": "def local_notes():\n    return 1\n",
    "build/lib/shop/cart.py": "def cart_total(items):\n    return sum(items)\n",
    "env/lib/python3.11/site-packages/dep/__init__.py": "def dependency():\n    return 1\n",
    "env/pyvenv.cfg": "home = /usr/bin\n",
    ".hidden/tool.py": "def hidden_tool():\n    return 1\n",
    "vendor/site-packages/other.py": "def vendored():\n    return 1\n",
    "node_modules/left-pad/index.js": "function leftPad() {}\n",
    ".gitignore": "notes.py\n",
    "shop/.gitignore": "generated/*\n!generated/keep.py\n",
}
EXPECTED = ["shop/__init__.py", "shop/cart.py", "shop/generated/keep.py", "shop/web/app.ts"]


def cli(*args: object, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, XDG_CONFIG_HOME=str(home / "config"), XDG_CACHE_HOME=str(home / "cache"), HOME=str(home))
    return subprocess.run([sys.executable, "-m", "mycoder_lsp", *map(str, args)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env=env)


@pytest.fixture(params=["plain", "git"])
def workspace(request, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if request.param == "git":
        if shutil.which("git") is None:
            pytest.skip("git is not installed")
        env = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_SYSTEM=os.devnull)
        subprocess.run(["git", "init", "-q", str(root)], check=True, env=env)
        subprocess.run(["git", "-C", str(root), "add", "shop/cart.py"], check=True, env=env)
    return root


def test_check_index_and_route_see_the_same_files(workspace: Path, tmp_path: Path):
    home = tmp_path / "home"
    checked = cli("check", "--json", workspace, home=home)
    assert checked.returncode in (0, 1), checked.stderr
    check_files = sorted(Path(f["path"]).relative_to(workspace).as_posix()
                         for f in json.loads(checked.stdout)["files"])

    indexed = cli("index", "--root", workspace, "--json", home=home)
    assert indexed.returncode in (0, 1), indexed.stderr
    vault = Vault.open(workspace, Settings())
    try:
        index_files = sorted(rel for rel in vault.store.files() if rel.endswith(SOURCE))
    finally:
        vault.close()

    routed = cli("route", "--root", workspace, "--offline", "--json", "add a docstring to cart_total", home=home)
    assert routed.returncode == 0, routed.stderr
    assert json.loads(routed.stdout)["target"] == "cart_total"
    # route keeps the names of each file it read in the vault's directory (the vault exists now).
    cache = json.loads((workspace / ".mycoder" / "cache" / "route-symbols.json").read_text())
    route_files = sorted(Path(rel).as_posix() for rel in cache["files"])

    assert check_files == EXPECTED
    assert index_files == EXPECTED
    assert route_files == EXPECTED


def test_route_without_a_vault_creates_nothing_in_the_workspace(workspace: Path, tmp_path: Path):
    before = sorted(p.relative_to(workspace).as_posix() for p in workspace.rglob("*") if ".git" not in p.parts)
    routed = cli("route", "--root", workspace, "--offline", "--json", "explain renderCart", home=tmp_path / "home")
    assert routed.returncode == 0, routed.stderr
    # A TypeScript function is a target too: the index has every language the walk lists.
    assert json.loads(routed.stdout)["target"] == "renderCart"
    after = sorted(p.relative_to(workspace).as_posix() for p in workspace.rglob("*") if ".git" not in p.parts)
    assert after == before


def test_ask_gives_the_model_the_vaults_context(tmp_path: Path, fake_ollama):
    """`ask` opens the workspace's vault as the editor's server does: what the
    model sees includes the other file that the request is about."""
    root = tmp_path / "ws"
    (root / "shop").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'shop'\n")
    (root / "shop" / "cart.py").write_text("from shop.tax import apply_vat_rate\n\n\ndef cart_total(items):\n"
                                           "    return apply_vat_rate(sum(items))\n")
    (root / "shop" / "tax.py").write_text("def apply_vat_rate(amount):\n    \"\"\"Add the value added tax.\"\"\"\n"
                                          "    return amount * 1.2\n")
    home = tmp_path / "home"
    (home / "config" / "mycoder").mkdir(parents=True)
    (home / "config" / "mycoder" / "config.toml").write_text(
        "".join(f'[brains.{n}]\nurl = "{fake_ollama.url}"\n' for n in ("organizer", "coding", "reasoning")))
    assert cli("index", "--root", root, home=home).returncode == 0
    fake_ollama.reply("It sums the items and adds the value added tax.")
    asked = cli("ask", "--root", root, "--file", root / "shop" / "cart.py", "--kind", "explain", "--symbol",
                "cart_total", "how is the value added tax applied to the cart total", home=home)
    assert asked.returncode == 0, asked.stderr
    (chat,) = fake_ollama.chats()
    assert "return amount * 1.2" in json.dumps(chat.body)  # tax.py's body: only the vault has it
