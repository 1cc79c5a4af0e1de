"""Human-readable lists."""


def join_words(words):
    """The words joined into one string."""
    return ", ".join(words)


def bullet_list(words):
    return "\n".join(f"- {w}" for w in words)
