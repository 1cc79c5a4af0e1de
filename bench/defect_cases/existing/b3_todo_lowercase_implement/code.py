def page(items, number, size=20):
    start = number * size
    # todo: implement pagination limits
    return items[start:start + size]
