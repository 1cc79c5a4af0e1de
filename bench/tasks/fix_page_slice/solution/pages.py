"""Split a list of results into pages."""


def page_count(items, size):
    """How many pages of `size` items it takes to show `items`."""
    return (len(items) + size - 1) // size


def page(items, number, size):
    """Page `number` (1-based) of `items`, `size` items per page."""
    start = (number - 1) * size
    return items[start:start + size]
