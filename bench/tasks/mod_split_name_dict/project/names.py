"""Person names."""


def split_name(full):
    """The first name and the last name of `full` ("Ada King Lovelace": first "Ada", last "King Lovelace")."""
    first, _, last = full.strip().partition(" ")
    return first, last


def initials(full):
    return "".join(part[0].upper() for part in full.split())
