def mean(values):
    if not values:
        return 0.0
    return total(values) / len(values)
