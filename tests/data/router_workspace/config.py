"""Application settings loaded from TOML files and the environment."""

import os
import tomllib


class Settings:
    def __init__(self, data=None):
        self.data = data or {}

    def load(self, path):
        with open(path, "rb") as fh:
            self.data.update(tomllib.load(fh))
        return self

    def save(self, path):
        with open(path, "w") as fh:
            for key, value in self.data.items():
                fh.write(f"{key} = {value!r}\n")

    def merge(self, other):
        merged = dict(self.data)
        merged.update(other.data)
        return Settings(merged)

    def validate(self):
        if "name" not in self.data:
            raise ValueError("name is required")


def load_settings(path):
    return Settings().load(path)


def parse_env(env=None):
    env = os.environ if env is None else env
    return {k[6:].lower(): v for k, v in env.items() if k.startswith("MYAPP_")}


def _coerce(value, tp):
    if tp is bool:
        return value.lower() in ("1", "true", "yes")
    return tp(value)
