from point import Point


def test_from_tuple():
    p = Point.from_tuple((3, 4))
    assert isinstance(p, Point) and p.as_tuple() == (3, 4)


def test_rest_still_works():
    assert Point(1, 2).moved(1, 1).as_tuple() == (2, 3)
