"""Users are dicts with "roles" (names) and "permissions" (names)."""


def is_admin(user):
    return "admin" in user["roles"]


def has_permission(user, permission):
    """True when the user holds `permission`; admins hold every permission."""
    return is_admin(user) or permission in user["permissions"]
