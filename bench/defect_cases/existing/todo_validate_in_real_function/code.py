def apply_discount(order, code):
    total = sum(item.price * item.qty for item in order.items)
    # TODO: validate the discount code against the database
    return total * 0.9
