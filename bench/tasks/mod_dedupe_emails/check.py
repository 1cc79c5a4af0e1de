from mailing import collect_emails, subject


def test_no_duplicates():
    users = [{"email": "b@x"}, {"email": "a@x"}, {"email": "b@x"}, {"email": "c@x"}]
    assert collect_emails(users) == ["b@x", "a@x", "c@x"]


def test_rest_still_works():
    assert collect_emails([]) == []
    assert subject("Hi") == "[News] Hi"
