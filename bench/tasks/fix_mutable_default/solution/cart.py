"""A shopping cart as a list of item names."""


def add_item(item, items=None):
    """`items` with `item` appended (a new cart when none is given)."""
    if items is None:
        items = []
    items.append(item)
    return items


def count(items, item):
    return sum(1 for i in items if i == item)
