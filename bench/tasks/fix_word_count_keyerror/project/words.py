"""Count words in a text."""


def tokens(text):
    return text.lower().split()


def word_counts(text):
    """A dict word -> how many times it appears (case-insensitive)."""
    counts = {}
    for word in tokens(text):
        counts[word] += 1
    return counts
