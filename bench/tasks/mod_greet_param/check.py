from app import screen
from greet import greet


def test_greeting_parameter():
    assert greet("Ann", "Hi") == "Hi, Ann!"
    assert greet("Ann", greeting="Welcome") == "Welcome, Ann!"


def test_rest_still_works():
    assert greet("Ann") == "Hello, Ann!"
    assert screen("Bo") == ["Hello, Bo!", "Goodbye, Bo."]
