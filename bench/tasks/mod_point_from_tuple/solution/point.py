"""2-D points."""


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def moved(self, dx, dy):
        return Point(self.x + dx, self.y + dy)

    @classmethod
    def from_tuple(cls, pair):
        return cls(pair[0], pair[1])

    def as_tuple(self):
        return (self.x, self.y)
