"""The mailing list."""


def collect_emails(users):
    """The email addresses of `users` (dicts with an "email"), in order."""
    return [user["email"] for user in users]


def subject(title):
    return f"[News] {title}"
