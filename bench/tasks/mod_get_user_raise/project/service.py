"""What the API calls."""

from repo import all_users


def user_count():
    return len(all_users())
