"""Rectangles on a grid."""


class Rect:
    def __init__(self, x, y, width, height):
        self.x = x
        self.y = y
        self.width = width
        self.height = height

    def area(self):
        return self.width * self.width

    def contains(self, px, py):
        return self.x <= px < self.x + self.width and self.y <= py < self.y + self.height
