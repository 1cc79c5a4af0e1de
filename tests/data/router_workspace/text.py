"""Text helpers for slugs and tokens."""

import re


def slugify(text):
    text = text.lower().strip()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def tokenize(text):
    return re.findall(r"\w+", text)


def normalize_whitespace(s):
    return " ".join(s.split())


def truncate(text, width=80):
    return text if len(text) <= width else text[: width - 1] + "…"
