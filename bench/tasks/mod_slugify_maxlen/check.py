from slugs import post_url, slugify


def test_max_length():
    assert slugify("Hello World Again", max_length=5) == "hello"
    assert slugify("Hello World", 20) == "hello-world"


def test_rest_still_works():
    assert slugify("Hello, World!") == "hello-world"
    assert post_url("A b") == "/posts/a-b/"
