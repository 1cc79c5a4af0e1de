"""Sections separated by form feeds, as in the stdlib."""


SEP = "a b"  # a line separator inside a string is not a line break


def first(x):
    return x


def second(x):
    return x * 2
