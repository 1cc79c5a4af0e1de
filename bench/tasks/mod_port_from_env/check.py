from server_conf import get_host, get_port


def test_env(monkeypatch):
    monkeypatch.setenv("PORT", "9123")
    assert get_port() == 9123


def test_rest_still_works(monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("HOST", raising=False)
    assert get_port() == 8000
    assert get_host() == "127.0.0.1"
