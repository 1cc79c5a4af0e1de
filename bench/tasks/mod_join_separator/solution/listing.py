"""Human-readable lists."""


def join_words(words, sep=", "):
    """The words joined into one string."""
    return sep.join(words)


def bullet_list(words):
    return "\n".join(f"- {w}" for w in words)
