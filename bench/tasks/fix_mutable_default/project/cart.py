"""A shopping cart as a list of item names."""


def add_item(item, items=[]):
    """`items` with `item` appended (a new cart when none is given)."""
    items.append(item)
    return items


def count(items, item):
    return sum(1 for i in items if i == item)
