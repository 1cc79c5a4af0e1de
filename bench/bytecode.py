"""Byte-compile the code a benchmark is about to time.

With ``PYTHONDONTWRITEBYTECODE`` set (this machine sets it), a tree that was
never compiled, such as an old copy from ``git archive``, is compiled again by
every process that imports it, while the working tree and site-packages run
from bytecode: start-up figures then compare compiling with not compiling
(+70 ms of 570 for the server's spawn, measured). A user's installed copy
runs from bytecode, so both sides are timed that way.
"""

from __future__ import annotations

import compileall
from pathlib import Path


def compile_tree(tree: Path) -> None:
    """Write the bytecode of ``tree``'s mycoder_lsp package (the files not up to date)."""
    compileall.compile_dir(str(Path(tree) / "mycoder_lsp"), quiet=1)
