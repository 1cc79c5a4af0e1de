import re

EMAIL = re.compile(r"^[^@]+@[^@]+\.[a-z]+$")


def is_valid_email(email):
    return bool(EMAIL.match(email))
