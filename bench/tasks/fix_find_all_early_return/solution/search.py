"""Search helpers over lists."""


def find_first(items, predicate):
    for item in items:
        if predicate(item):
            return item
    return None


def find_all(items, predicate):
    """Every item for which `predicate` is true, in order."""
    found = []
    for item in items:
        if predicate(item):
            found.append(item)
    return found
