from inventory import Item


def test_repr():
    assert repr(Item("bolt", 3)) == "Item(name='bolt', qty=3)"


def test_rest_still_works():
    item = Item("nut")
    item.restock(2)
    assert item.qty == 2
