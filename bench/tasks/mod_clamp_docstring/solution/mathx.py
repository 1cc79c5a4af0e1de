"""Numeric helpers for the UI sliders."""


def clamp(value, lo, hi):
    """`value` limited to the range [lo, hi]."""
    if value < lo:
        return lo
    if value > hi:
        return hi
    return value


def lerp(a, b, t):
    """The point a fraction `t` of the way from `a` to `b`."""
    return a + (b - a) * t
