"""An in-memory user store."""

USERS = {1: "ann", 2: "bob"}


def get_user(user_id):
    """The user with `user_id`."""
    return USERS.get(user_id)


def all_users():
    return [USERS[k] for k in sorted(USERS)]
