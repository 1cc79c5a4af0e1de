def merge(a, b):
    """Merge two sorted lists."""
    # TODO
    pass
