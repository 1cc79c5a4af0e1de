from tags import normalize_tags, tag_string


def test_stripped():
    assert normalize_tags([" Python ", "", "  ", "LSP"]) == ["python", "lsp"]


def test_rest_still_works():
    assert normalize_tags(["A", "b"]) == ["a", "b"]
    assert tag_string(["a", "b"]) == "#a #b"
