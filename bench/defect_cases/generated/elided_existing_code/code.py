class Cart:
    # ... existing code ...

    def clear(self):
        self.items = []


def format_price(value):
    return f"${value:,.2f}"
