import re

EMAIL = re.compile(r"^[^@]+@[^@]+\.[a-z]+$")


class UserStore:
    def __init__(self):
        self.users = {}

    def add(self, user):
        if not EMAIL.match(user["email"]):
            raise ValueError("invalid email")
        self.users[user["id"]] = user
