from settings_file import load_settings, save_settings


def test_missing_file(tmp_path):
    assert load_settings(tmp_path / "nope.json") == {}


def test_rest_still_works(tmp_path):
    path = tmp_path / "s.json"
    save_settings(path, {"a": 1})
    assert load_settings(path) == {"a": 1}
