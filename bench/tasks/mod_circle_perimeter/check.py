import math

from shapes import Circle, Square


def test_perimeter():
    assert math.isclose(Circle(2).perimeter(), 4 * math.pi)


def test_rest_still_works():
    assert math.isclose(Circle(1).area(), math.pi)
    assert Square(3).area() == 9
