"""User records as dicts: {"name": ..., "nickname": ... (optional), "email": ...}."""


def display_name(user):
    """The nickname if the user set one, else the name."""
    nickname = user.get("nickname")
    if nickname is None or not nickname.strip():
        return user["name"]
    return nickname.strip()


def email_domain(user):
    return user["email"].rsplit("@", 1)[1]
