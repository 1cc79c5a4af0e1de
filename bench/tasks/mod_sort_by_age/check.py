from people import adults, sort_people

PEOPLE = [{"name": "cy", "age": 30}, {"name": "al", "age": 40}, {"name": "bo", "age": 30}, {"name": "di", "age": 12}]


def test_order():
    assert [p["name"] for p in sort_people(PEOPLE)] == ["di", "bo", "cy", "al"]


def test_rest_still_works():
    assert [p["name"] for p in adults(PEOPLE)] == ["cy", "al", "bo"]
