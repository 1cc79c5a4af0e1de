"""Inline completion: fill-in-the-middle from a local model, checked before it is shown.

:class:`Completer` is the one entry point (the LSP feature, the ``complete``
CLI and the benchmark call it); :mod:`.templates` holds the FIM formats,
:mod:`.context` what the model sees, :mod:`.checks` what a suggestion must
pass. No pygls in this package.
"""

from __future__ import annotations

from mycoder_lsp.completion.engine import Completer, CompletionRequest, Prompt, Suggestion

__all__ = ["CompletionRequest", "Completer", "Prompt", "Suggestion"]
