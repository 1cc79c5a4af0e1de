class Cart:
    def __init__(self):
        self.items = []

    def add_item(self, name, price, qty=1):
        self.items.append((name, price, qty))


def format_price(value):
    return f"${value:,.2f}"
