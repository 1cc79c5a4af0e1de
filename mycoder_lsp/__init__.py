"""mycoder-lsp: a local, sovereign coding assistant delivered as a Language Server."""

__version__ = "0.1.0"
