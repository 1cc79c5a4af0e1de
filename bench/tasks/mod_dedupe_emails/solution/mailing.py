"""The mailing list."""


def collect_emails(users):
    """The email addresses of `users` (dicts with an "email"), in order."""
    seen = []
    for user in users:
        if user["email"] not in seen:
            seen.append(user["email"])
    return seen


def subject(title):
    return f"[News] {title}"
