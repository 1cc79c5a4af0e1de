from geometry import Rect


def test_area():
    assert Rect(0, 0, 2, 5).area() == 10


def test_rest_still_works():
    r = Rect(1, 1, 2, 2)
    assert r.contains(1, 1) and not r.contains(3, 1)
