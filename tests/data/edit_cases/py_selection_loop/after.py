def total(items):
    result = sum(item.price * item.qty for item in items)
    return result
