import re

EMAIL = re.compile(r"^[^@]+@[^@]+\.[a-z]+$")


class UserStore:
    def __init__(self):
        self.users = {}

    def get(self, user_id):
        return self.users[user_id]

    def get_all(self):
        return list(self.users.values())

    def add(self, user):
        self.users[user["id"]] = user
