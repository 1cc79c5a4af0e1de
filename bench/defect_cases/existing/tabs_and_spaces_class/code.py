class Point:
	def __init__(self, x, y):
		self.x = x
		self.y = y


def distance(a, b):
    dx = a.x - b.x
    dy = a.y - b.y
    return (dx * dx + dy * dy) ** 0.5


def midpoint(a, b):
    return Point((a.x + b.x) / 2, (a.y + b.y) / 2)
