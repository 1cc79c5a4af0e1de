"""Orders, and who placed them."""
from . import users
from .users import fetch_user


def order_owner(order):
    # fetch_user looks the owner up
    owner = fetch_user(order["user_id"])
    return owner["name"]


def owner_again(order):
    return users.fetch_user(order["user_id"])["name"]


LABEL = "fetch_user"
