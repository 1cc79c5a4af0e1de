"""``python -m mycoder_lsp``: how editors start the server with a chosen interpreter.

``-m`` puts the current directory first on ``sys.path``, and an editor starts
the server in the workspace: an opened repository's ``numbers.py`` or
``json.py`` would shadow the standard library and run inside the server (an
untrusted repository must not run code). Only this package has been imported
when this module runs, and its modules are found through the package itself,
so the entry is dropped before anything else is imported (what ``-P`` and
``PYTHONSAFEPATH`` do on Python 3.11+).
"""

import os
import sys

if sys.path and not getattr(sys.flags, "safe_path", False) and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from mycoder_lsp.cli import main  # noqa: E402 - after the sys.path fix, on purpose

raise SystemExit(main())
