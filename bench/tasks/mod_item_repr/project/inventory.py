"""Stock items."""


class Item:
    def __init__(self, name, qty=0):
        self.name = name
        self.qty = qty

    def restock(self, n):
        self.qty += n
