"""Small statistics over lists of numbers."""


def count_in_range(values, lo, hi):
    """How many of `values` lie between `lo` and `hi`, both inclusive."""
    return sum(1 for v in values if lo <= v < hi)


def spread(values):
    return max(values) - min(values)
