def stable_keys(mapping):
    # XXX: relies on dicts keeping insertion order (Python 3.7+)
    return list(mapping)
