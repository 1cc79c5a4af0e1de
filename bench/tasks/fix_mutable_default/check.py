from cart import add_item, count


def test_fresh_cart_each_time():
    assert add_item("apple") == ["apple"]
    assert add_item("pear") == ["pear"]


def test_rest_still_works():
    cart = ["a"]
    assert add_item("b", cart) == ["a", "b"] and cart == ["a", "b"]
    assert count(["a", "b", "a"], "a") == 2
