"""The consequences of an edit for other files: which symbols changed, where
other files use them, the edits a rename needs there, and what stays broken."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from mycoder_lsp.brains.consequences import (
    ModuleResolver,
    Params,
    caller_findings,
    consequences_of,
    find_uses,
    own_renames,
    symbol_changes,
)

API = '''def fetch_user(uid):
    return {"id": uid}


def delete_user(uid):
    return uid


class Store:
    def __init__(self, path):
        self.path = path

    def load(self, key):
        return key

    @classmethod
    def open(cls, path):
        return cls(path)
'''


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return write(tmp_path / "ws", {"pyproject.toml": "", "pkg/__init__.py": "", "pkg/api.py": API})


def run(ws: Path, after: str, **kw):  # type: ignore[no-untyped-def]
    return consequences_of(API, after, path=str(ws / "pkg/api.py"), language="python", root=ws, **kw)


# -- which symbols changed ------------------------------------------------------


def test_a_rename_is_told_from_a_removal():
    (change,) = symbol_changes(API, API.replace("def fetch_user(", "def get_user("), "python")
    assert (change.kind, change.qualname, change.new_qualname, change.params_changed) == (
        "renamed", "fetch_user", "get_user", False)
    # Renamed with a new body: still one gone and one new at the same level.
    (change,) = symbol_changes(API, API.replace('def fetch_user(uid):\n    return {"id": uid}',
                                                'def get_user(uid, db=None):\n    return db or {}'), "python")
    assert (change.kind, change.new_qualname, change.params_changed) == ("renamed", "get_user", True)
    # Two renamed at once: paired by their bodies.
    after = API.replace("def fetch_user(", "def get_user(").replace("def delete_user(", "def drop_user(")
    assert {(c.qualname, c.new_qualname) for c in symbol_changes(API, after, "python")} == {
        ("fetch_user", "get_user"), ("delete_user", "drop_user")}
    (change,) = symbol_changes(API, API.replace("def load(", "def read("), "python")
    assert (change.kind, change.qualname, change.new_qualname) == ("renamed", "Store.load", "Store.read")


def test_removed_signature_changed_and_kept_by_an_alias():
    (change,) = symbol_changes(API, API.replace("def delete_user(uid):\n    return uid\n", ""), "python")
    assert (change.kind, change.qualname) == ("removed", "delete_user")
    (change,) = symbol_changes(API, API.replace("def fetch_user(uid)", "def fetch_user(uid, db)"), "python")
    assert change.kind == "signature" and change.params is not None and change.params.positional == ("uid", "db")
    # A compatibility alias keeps the old name importable: nothing was removed.
    kept = API.replace("def fetch_user(", "def get_user(") + "\nfetch_user = get_user\n"
    assert symbol_changes(API, kept, "python") == []
    assert symbol_changes(API, API + "\n\ndef new():\n    pass\n", "python") == []
    assert symbol_changes(API, "def broken(:\n", "python") == []
    assert symbol_changes("function f() {}", "function g() {}", "javascript") == []


def test_a_call_fits_a_signature_or_says_why_not():
    params = Params(("a", "b"), posonly=0, required=1, kwonly=("k",), required_kwonly=frozenset({"k"}),
                    varargs=False, varkw=False)
    assert params.why_not(1, ["k"]) is None and params.why_not(0, ["a", "k"]) is None
    assert params.why_not(3, ["k"]) == "it takes 2 positional arguments, this call passes 3"
    assert params.why_not(1, []) == "this call does not pass 'k'"
    assert params.why_not(0, ["k"]) == "this call does not pass 'a'"
    assert params.why_not(1, ["a", "k"]) == "this call passes 'a' twice"
    assert params.why_not(1, ["k", "z"]) == "it has no parameter 'z'"
    loose = Params(("a",), 0, 1, (), frozenset(), varargs=True, varkw=True)
    assert loose.why_not(5, ["z"]) is None


# -- where other files use them ---------------------------------------------------


def test_uses_through_every_kind_of_import_but_never_in_strings_or_comments(ws: Path):
    write(ws, {
        "pkg/sub/__init__.py": "",
        "pkg/sub/deep.py": """\
            from ..api import fetch_user as fu  # fetch_user, aliased
            from .. import api

            def go(obj):
                obj.fetch_user(1)  # another object's member
                print("fetch_user", f"{fu(2)}")
                return fu(1), api.fetch_user(uid=3), dict(fetch_user=1)
            """,
        "app.py": """\
            import pkg.api
            import pkg.api as a
            from pkg.api import Store, fetch_user
            from other import delete_user

            fetch_user(1, 2)
            pkg.api.fetch_user(1)
            a.fetch_user(*[1])
            Store.open("p").load("k")
            delete_user(1)
            """,
        "other.py": "def delete_user(x):\n    return x\n",
    })
    resolver = ModuleResolver((ws / "pkg/api.py").resolve(), ws.resolve())
    deep = find_uses((ws / "pkg/sub/deep.py").read_text(), (ws / "pkg/sub/deep.py").resolve(), resolver)
    assert [(u.line, u.qualname, u.role, u.own_name) for u in deep] == [
        (0, "fetch_user", "import", True),
        (5, "fetch_user", "call", False),  # inside the f-string's braces: code
        (6, "fetch_user", "call", False),
        (6, "fetch_user", "call", True),
    ]
    assert deep[-1].call is not None and deep[-1].call.keywords == ("uid",)
    app = find_uses((ws / "app.py").read_text(), (ws / "app.py").resolve(), resolver)
    got = [(u.line, u.qualname, u.role) for u in app]
    assert got == [(2, "Store", "import"), (2, "fetch_user", "import"), (5, "fetch_user", "call"),
                   (6, "fetch_user", "call"), (7, "fetch_user", "call"), (8, "Store", "reference"),
                   (8, "Store.open", "call")]
    assert app[3].call is not None and app[4].call is not None and app[4].call.splat


def test_a_rename_edits_the_callers_and_leaves_strings_comments_and_aliases(ws: Path):
    write(ws, {
        "pkg/orders.py": """\
            from .api import fetch_user
            from . import api as users_api
            # fetch_user is called below
            LABEL = "fetch_user"
            x = fetch_user(1), users_api.fetch_user(2)
            """,
        "main.py": "from pkg.api import fetch_user as fu\nprint(fu(1))\n",
        "notes.py": "fetch_user = 1  # same name, another thing\n",
    })
    found = run(ws, API.replace("def fetch_user(", "def get_user("))
    by_path = {Path(r.path).name: r for r in found.related}
    assert set(by_path) == {"orders.py", "main.py"}
    assert by_path["orders.py"].new_text == textwrap.dedent("""\
        from .api import get_user
        from . import api as users_api
        # fetch_user is called below
        LABEL = "fetch_user"
        x = get_user(1), users_api.get_user(2)
        """)
    # An alias: only the import changes, the uses keep the alias.
    assert by_path["main.py"].new_text == "from pkg.api import get_user as fu\nprint(fu(1))\n"
    assert by_path["main.py"].edits == [(0, 20, 0, 30, "get_user")]
    assert found.broken == {} and found.warnings(ws) == []
    assert sorted(Path(u).name for u in found.users) == ["main.py", "orders.py"]


def test_a_method_rename_follows_the_imported_class(ws: Path):
    write(ws, {"use.py": "from pkg.api import Store\nStore.load(Store('p'), 'k')\n"})
    found = run(ws, API.replace("def load(", "def read("))
    (related,) = found.related
    assert related.new_text == "from pkg.api import Store\nStore.read(Store('p'), 'k')\n"


def test_what_stays_broken_is_listed(ws: Path):
    write(ws, {"a.py": "from pkg.api import delete_user\n\ndelete_user(1)\n",
               "b.py": "from pkg import api\n" + "api.fetch_user(1)\n" * 12 + "api.fetch_user(1, 'db')\n"})
    removed = run(ws, API.replace("def delete_user(uid):\n    return uid\n", ""))
    assert removed.warnings(ws) == ["delete_user was removed, but it is still used in 2 places: a.py:1, a.py:3"]
    (finding, _) = removed.broken[str((ws / "a.py").resolve())]
    assert (finding.code, finding.line, finding.column) == ("MC601", 0, 20)
    changed = run(ws, API.replace("def fetch_user(uid)", "def fetch_user(uid, db)"))
    (warning,) = changed.warnings(ws)
    assert warning.startswith("the signature of fetch_user changed, but 12 calls no longer fit it: b.py:2, b.py:3")
    assert warning.endswith("b.py:11 and 2 more")
    assert all(f.code == "MC602" and "does not pass 'db'" in f.message
               for f in changed.broken[str((ws / "b.py").resolve())])
    # A new optional parameter breaks no call: nothing to warn about.
    assert run(ws, API.replace("def fetch_user(uid)", "def fetch_user(uid, db=None)")).warnings(ws) == []


def test_editor_buffers_win_over_the_disk_and_the_scan_is_bounded(ws: Path):
    write(ws, {"a.py": "import os\n"})
    buffer = {str(ws / "a.py"): "from pkg.api import fetch_user\nfetch_user(1)\n"}
    found = run(ws, API.replace("def fetch_user(", "def get_user("), open_texts=buffer)
    (related,) = found.related
    assert related.old_text == buffer[str(ws / "a.py")] and "get_user(1)" in related.new_text
    write(ws, {f"m{i}.py": "from pkg.api import fetch_user\n" for i in range(5)})
    bounded = run(ws, API.replace("def fetch_user(uid)", "def fetch_user(uid, db)"), max_files=3)
    assert not bounded.complete and bounded.files_scanned == 3


def test_files_outside_the_workspace_are_never_read(ws: Path, tmp_path: Path):
    outside = write(tmp_path / "outside", {"evil.py": "from pkg.api import fetch_user\n"})
    os.symlink(outside / "evil.py", ws / "linked.py")
    os.symlink(outside, ws / "linked_dir")
    found = run(ws, API.replace("def fetch_user(", "def get_user("))
    assert found.related == [] and found.users == []
    # And an edit of a file outside the root looks at nothing.
    assert consequences_of(API, API.replace("fetch_user", "get_user"), path=str(outside / "evil.py"),
                           language="python", root=ws).users == []


def test_callers_checked_after_the_edit(ws: Path):
    caller = ws / "c.py"
    caller.write_text("from pkg.api import fetch_user\nfetch_user()\nfetch_user(1)\n")
    after = API.replace("def fetch_user(uid)", "def fetch_user(uid, db)")
    changes = symbol_changes(API, after, "python")
    found = caller_findings(str(ws / "pkg/api.py"), after, changes, [str(caller)], ws,
                            {str(caller): caller.read_text()})
    assert [(f.code, f.line) for f in found[str(caller)]] == [("MC602", 1), ("MC602", 2)]


def test_the_edited_file_calls_a_renamed_function_by_its_new_name():
    before = API + "\n\ndef main():\n    # fetch_user below\n    return fetch_user(1), 'fetch_user'\n"
    after = before.replace("def fetch_user(", "def get_user(")
    # Lines 0-1 are the replaced definition: only the call in main is the file's own use.
    assert own_renames(before, after, "python", [(0, 1)]) == [(22, 11, 21, "fetch_user", "get_user")]
    assert own_renames(before, before, "python", [(0, 1)]) == []


def test_the_edited_file_own_calls_that_no_longer_fit(ws: Path):
    before = API + "\n\ndef main():\n    return fetch_user(1)\n"
    after = before.replace("def fetch_user(uid)", "def fetch_user(uid, db)")
    found = consequences_of(before, after, path=str(ws / "pkg/api.py"), language="python", root=ws)
    (finding,) = found.broken[str((ws / "pkg/api.py").resolve())]
    assert (finding.code, finding.line) == ("MC602", 21)
    assert found.warnings(ws) == ["the signature of fetch_user changed, but 1 call no longer fits it: pkg/api.py:22"]
