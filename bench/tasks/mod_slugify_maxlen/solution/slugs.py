"""URL slugs for blog posts."""

import re


def slugify(title, max_length=None):
    """`title` as a URL slug: lower case, words joined by dashes."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    slug = "-".join(words)
    return slug if max_length is None else slug[:max_length]


def post_url(title):
    return f"/posts/{slugify(title)}/"
