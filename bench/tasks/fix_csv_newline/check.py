from records import parse_line, parse_lines


def test_newline_is_dropped():
    assert parse_line("a, b ,c\n") == ["a", "b", "c"]
    assert parse_line("x,y\r\n") == ["x", "y"]


def test_rest_still_works():
    assert parse_lines(["1,2\n", "\n", "3,4\n"]) == [["1", "2"], ["3", "4"]]
