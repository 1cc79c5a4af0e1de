"""The shop's users."""


def fetch_user(user_id):
    """The user with this id."""
    return {"id": user_id, "name": f"user{user_id}"}


def delete_user(user_id):
    return {"deleted": user_id}


def greeting(user_id):
    return "Hello, " + fetch_user(user_id)["name"]
