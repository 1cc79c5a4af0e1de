"""The vault: persistent memory of a workspace (chunks, vectors, lexical index,
learned patterns, session state). :class:`mycoder_lsp.memory.vault.Vault` is
the entry point; nothing here imports pygls."""
