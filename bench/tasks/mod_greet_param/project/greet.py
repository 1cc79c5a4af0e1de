"""Greetings for the welcome screen."""


def greet(name):
    """A greeting for `name`."""
    return f"Hello, {name}!"


def farewell(name):
    return f"Goodbye, {name}."
