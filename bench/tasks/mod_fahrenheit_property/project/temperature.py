"""Temperatures from the sensors."""


class Temperature:
    def __init__(self, celsius):
        self.celsius = celsius

    def is_freezing(self):
        return self.celsius <= 0
