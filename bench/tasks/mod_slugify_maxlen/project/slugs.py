"""URL slugs for blog posts."""

import re


def slugify(title):
    """`title` as a URL slug: lower case, words joined by dashes."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "-".join(words)


def post_url(title):
    return f"/posts/{slugify(title)}/"
