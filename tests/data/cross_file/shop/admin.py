"""Admin tasks."""
from shop.users import delete_user


def purge(user_id):
    return delete_user(user_id)
