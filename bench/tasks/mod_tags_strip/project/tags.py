"""Tags typed by users."""


def normalize_tags(tags):
    """The tags in lower case, in their order."""
    return [tag.lower() for tag in tags]


def tag_string(tags):
    return " ".join(f"#{t}" for t in tags)
