"""The server's features, one capability per module.

Each module holds one :class:`~mycoder_lsp.server.feature.Feature` and a
``register(server, ...)`` that adds it and its handlers; what a feature
needs of another (the model servers, a document's symbols) is handed to it
by :func:`mycoder_lsp.server.app.create_server`, never looked up in the
other's private state. Diagnostics from every feature go through the
server's store (:mod:`mycoder_lsp.server.diagnostics_store`).

- ``diagnostics``: validation findings, pushed or pulled, with every source's.
- ``models``: the model servers shared by the features that call a model
  (one HTTP client, the pools and their circuit breakers, the request flow).
- ``symbols``: the open documents' symbols, parsed once per content.
- ``code_actions``, ``hover``, ``commands``: the brains in the editor.
- ``progress``: ``$/progress`` for one command.
- ``vault``: the vault, ``workspace/symbol`` and the vault commands.
- ``completion``: inline completion and completion items.
"""
