"""Greetings for the welcome screen."""


def greet(name, greeting="Hello"):
    """A greeting for `name`."""
    return f"{greeting}, {name}!"


def farewell(name):
    return f"Goodbye, {name}."
