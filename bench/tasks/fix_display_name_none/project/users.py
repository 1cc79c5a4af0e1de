"""User records as dicts: {"name": ..., "nickname": ... (optional), "email": ...}."""


def display_name(user):
    """The nickname if the user set one, else the name."""
    return user.get("nickname").strip()


def email_domain(user):
    return user["email"].rsplit("@", 1)[1]
