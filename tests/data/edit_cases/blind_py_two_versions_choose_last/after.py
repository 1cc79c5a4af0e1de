from typing import Optional


class UserService:
    def __init__(self, repo):
        self.repo = repo

    def find(self, user_id: int) -> Optional[dict]:
        return self.repo.get(user_id)

    def rename(self, user_id: int, name: str) -> None:
        user = self.repo.get(user_id)
        if user is None:
            raise KeyError(f"no user {user_id}")
        user["name"] = name
        self.repo.save(user)
