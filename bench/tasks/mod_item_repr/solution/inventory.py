"""Stock items."""


class Item:
    def __init__(self, name, qty=0):
        self.name = name
        self.qty = qty

    def __repr__(self):
        return f"Item(name={self.name!r}, qty={self.qty!r})"

    def restock(self, n):
        self.qty += n
