"""The welcome screen."""

from greet import farewell, greet


def screen(name):
    return [greet(name), farewell(name)]
