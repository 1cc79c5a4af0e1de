"""Fixtures for the brains' unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mycoder_lsp.brains.wire import base


@pytest.fixture(autouse=True)
def no_cached_server_facts() -> Iterator[None]:
    # Context windows (and servers without /tokenize) are cached per URL for
    # the process, and a scripted server's port may be reused by a later test.
    base.WINDOWS.clear()
    base.NO_TOKENIZER.clear()
    yield
    base.WINDOWS.clear()
    base.NO_TOKENIZER.clear()
