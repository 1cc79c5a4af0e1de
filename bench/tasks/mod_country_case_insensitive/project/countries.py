"""Country codes."""

NAMES = {"DE": "Germany", "FR": "France", "NL": "Netherlands"}


def country_name(code):
    """The name of the country with ISO code `code`, or None."""
    return NAMES.get(code)


def codes():
    return sorted(NAMES)
