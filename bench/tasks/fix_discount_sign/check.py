from checkout import total
from pricing import apply_discount, with_vat


def test_discount_lowers_the_price():
    assert apply_discount(100, 10) == 90
    assert apply_discount(50, 0) == 50


def test_rest_still_works():
    assert with_vat(10) == 12
    assert total([100, 100], 10) == 216
