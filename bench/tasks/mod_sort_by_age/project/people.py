"""People in the address book: dicts with "name" and "age"."""


def sort_people(people):
    """The people in display order."""
    return sorted(people, key=lambda p: p["name"])


def adults(people):
    return [p for p in people if p["age"] >= 18]
