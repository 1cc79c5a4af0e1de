from auth import has_permission, is_admin

EDITOR = {"roles": ["editor"], "permissions": ["write", "read"]}
ADMIN = {"roles": ["admin"], "permissions": []}


def test_permissions_are_read():
    assert has_permission(EDITOR, "write")
    assert not has_permission(EDITOR, "editor")


def test_rest_still_works():
    assert has_permission(ADMIN, "delete")
    assert is_admin(ADMIN) and not is_admin(EDITOR)
