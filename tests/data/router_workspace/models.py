"""Domain models: users and orders."""

from dataclasses import dataclass, field


@dataclass
class User:
    first_name: str
    last_name: str
    email: str

    def full_name(self):
        return self.first_name + " " + self.last_name

    def to_dict(self):
        return {"first_name": self.first_name, "last_name": self.last_name, "email": self.email}

    @classmethod
    def from_dict(cls, data):
        return cls(data["first_name"], data["last_name"], data["email"])


@dataclass
class Order:
    user: User
    items: list = field(default_factory=list)
    discount: float = 0.0

    def add_item(self, name, price, quantity=1):
        self.items.append((name, price, quantity))

    def total(self):
        subtotal = sum(price * qty for _, price, qty in self.items)
        return subtotal - subtotal * self.discount

    def apply_discount(self, percent):
        self.discount = percent / 100


def calculate_tax(amount, rate):
    return round(amount * rate, 2)
