def top_n(values, n):
    # TODO: use a heap for large inputs
    return sorted(values, reverse=True)[:n]
