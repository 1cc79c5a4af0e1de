"""What this package knows about code itself, below validation, the brains
and the vault: which language a file is, how it is parsed, its symbols and
the files of a workspace. Nothing here imports pygls or talks to a model."""
