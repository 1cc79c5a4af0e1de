from durations import format_duration, total_seconds


def test_minutes_are_whole():
    assert format_duration(90) == "1:30"
    assert format_duration(5) == "0:05"
    assert format_duration(600) == "10:00"


def test_rest_still_works():
    assert total_seconds([1, 2, 3]) == 6
