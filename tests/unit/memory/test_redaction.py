"""Redaction: every planted kind of secret is found, normal code is left alone,
and a model's placeholder never replaces the user's value in the file."""

from __future__ import annotations

import asyncio

import pytest

from mycoder_lsp.brains.router import organizer_messages
from mycoder_lsp.memory import patterns
from mycoder_lsp.memory.redaction import REDACTED, Redactor, SecretInAnswer, is_secret_name, redact
from mycoder_lsp.validation.pipeline import validate_text
from tests.support import planted_secrets as planted

S = planted.SECRETS


@pytest.mark.parametrize("rel", sorted(planted.FILES))
def test_every_planted_secret_in_the_workspace_is_redacted_and_lines_hold(rel):
    text = planted.FILES[rel]
    out = redact(text, rel)
    assert planted.leaks(out) == [], out
    assert out.count("\n") == text.count("\n")
    assert REDACTED in out


@pytest.mark.parametrize(("line", "secret"), [
    (f"fix it, the token is {S['secret in an instruction']}", S["secret in an instruction"]),
    (f"Rotate the key {S['secret in a feature title']}", S["secret in a feature title"]),
    (f"curl -H 'Authorization: Bearer {S['bearer token']}' https://api", S["bearer token"]),
    (f"Authorization: Basic {'dXNlcjpodW50ZXIy' + 'LVNlY3JldA=='}", "dXNlcjpodW50ZXIy"),
    (f"export GITHUB_TOKEN={S['github token']}", S["github token"]),
    ("DB_PASSWORD=lettersonlysecret", "lettersonlysecret"),
    ("spring.datasource.password=Spr1ng-Pw-x", "Spr1ng-Pw-x"),
    ('const dbPassword = "Js-Secret-99";', "Js-Secret-99"),
    ("redis://:R3dis-Only-Pw@cache:6379/0", "R3dis-Only-Pw"),
    ('password = "it\'s-a-s3cret"', "it's-a-s3cret"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8", "wJalrXUtnFEMI"),
])
def test_secrets_in_lines_of_any_kind(line, secret):
    assert secret not in redact(line)


def test_config_files_hide_bare_values_that_code_would_use_as_names():
    ini = "[mail]\nsmtp_password = correcthorsebattery\n"
    assert "correcthorse" not in redact(ini, "settings.ini")
    assert "correcthorse" not in redact("password: correcthorsebattery\n", "deploy/values.yaml")
    # In code the same line reads a variable: nothing to hide.
    assert redact("password = correcthorsebattery\n", "app.py") == "password = correcthorsebattery\n"


@pytest.mark.parametrize("code", [
    "password = get_password()\n",
    "token = next_token()\n",
    "password: str\n",
    "password: SecretStr\n",
    "token: Optional[str] = None\n",
    "api_key = os.environ['API_KEY']\n",
    "secret = config['secret']\n",
    "key = self.key\n",
    "const token = getToken();\n",
    'headers = {"Authorization": f"Bearer {token}"}\n',
    "Bearer tokens expire after an hour.\n",
    'BASE = "https://example.com:8443/path?x=1"\n',
    'DATABASE_URL = "postgres://app@db.internal/app"\n',
    'DATABASE_URL = "postgres://app:${DB_PASSWORD}@db/app"\n',
    "password: ${DB_PASSWORD}\n",
    "  - MAIL_PASSWORD=${MAIL_PASSWORD}\n",
    'password = "changeme"\n',
    'token_type = "bearer-token-x"\n',
    'password_prompt = "Enter your password: "\n',
    "def login(user, password=None):\n    return check(user, password)\n",
    'password = "[REDACTED]"\n',
])
def test_code_that_only_names_a_secret_is_left_alone(code):
    assert redact(code) == code
    assert redact(code, "settings.py") == code


def test_secret_names_in_every_spelling():
    for name in ("SECRET_KEY", "db_password", "dbPassword", "apiKey", "client-secret", "spring.datasource.password",
                 "AWS_SECRET_ACCESS_KEY", "auth_token"):
        assert is_secret_name(name), name
    for name in ("password_prompt", "token_type", "key_name", "secret_file", "PASSWORD_FIELD", "monkey"):
        assert not is_secret_name(name), name


def test_the_security_layer_flags_what_redaction_hides(tmp_path):
    # One list: a JWT (new in the list) is a finding as well as redacted.
    jwt = S["jwt"]
    result = validate_text(f'SERVICE_JWT = "{jwt}"\nSECRET_KEY = "{S["SECRET_KEY"]}"\n', path=str(tmp_path / "m.py"),
                           workspace_root=tmp_path)
    assert sorted(f.code for f in result.findings if f.code.startswith("MC4")) == ["MC402", "MC404"]
    assert any("JSON Web Token" in f.message for f in result.findings)


def test_the_organizer_prompt_hides_a_typed_secret():
    messages = organizer_messages(f"rename parse, token {S['github token']}")
    assert S["github token"] not in messages[-1]["content"] and "rename parse" in messages[-1]["content"]


# -- one request: hide and restore ---------------------------------------------

TOKEN = S["github token"]
DOC = f'''def make_client(retries):
    token = "{TOKEN}"
    return {{"token": token, "retries": retries}}
'''


def test_hide_numbers_each_secret_once_across_messages():
    redactor = Redactor("client.py")
    messages = redactor.hide_messages([{"role": "system", "content": "rules"},
                                       {"role": "user", "content": DOC + f"\nand again {TOKEN}"}])
    assert messages[0] == {"role": "system", "content": "rules"}
    assert TOKEN not in messages[1]["content"] and messages[1]["content"].count("<redacted:1>") == 2
    assert redactor.hidden == 1
    assert redactor.hide(f"x = '{TOKEN}'") == "x = '<redacted:1>'"


def test_restore_puts_the_users_line_back_where_the_placeholder_stands():
    redactor = Redactor("client.py")
    seen = redactor.hide(DOC)
    answer = seen.replace("make_client(retries)", "make_client(retries=3)")
    assert "<redacted:1>" in answer
    restored = redactor.restore(answer, DOC)
    assert restored == DOC.replace("make_client(retries)", "make_client(retries=3)")
    # Re-indented (a method moved into a class): the line keeps the answer's indentation.
    indented = "\n".join("    " + line if line else line for line in answer.split("\n"))
    assert f'        token = "{TOKEN}"' in redactor.restore(indented, DOC)
    # No placeholder: the answer as it is.
    assert redactor.restore("def f():\n    return 1\n", DOC) == "def f():\n    return 1\n"


@pytest.mark.parametrize("line", [
    '    token = "<redacted:1>-v2"',  # the secret edited
    '    print("<redacted:1>")',  # the secret moved somewhere new
    '    token = "<redacted:7>"',  # a placeholder that stands for nothing in this file
    '    token = "[REDACTED]"',  # the vault's marker copied from retrieved context
])
def test_restore_refuses_a_placeholder_anywhere_but_its_own_line(line):
    redactor = Redactor("client.py")
    redactor.hide(DOC)
    answer = f"def make_client(retries=3):\n{line}\n    return {{}}\n"
    with pytest.raises(SecretInAnswer) as refused:
        redactor.restore(answer, DOC)
    assert "secret" in str(refused.value) and "line 2" in str(refused.value)


def test_restore_keeps_a_marker_the_file_itself_has_and_private_key_lines():
    text = ('REDACTED = "[REDACTED]"\nKEY = """-----BEGIN RSA ' + 'PRIVATE KEY-----\n'
            + "MIIEowIBAAKCAQEA" + "7fQ2mT8zR4Lp\n" + "AbCdEfGh" + "IjKlMnOp\n-----END RSA PRIVATE KEY-----\"\"\"\n")
    redactor = Redactor("keys.py")
    seen = redactor.hide(text)
    assert "MIIEow" not in seen and seen.count("\n") == text.count("\n")
    assert redactor.restore(seen, text) == text


def test_a_secret_typed_inline_into_an_instruction():
    text = "connect with password=Sup3r-S3cret!x and retry; token: ab12-cd34-ef56-gh78"
    out = redact(text)
    assert "Sup3r-S3cret" not in out and "ab12-cd34" not in out and "connect with password=" in out
    # Keyword arguments in code pass names, not literals.
    for code in ("client = connect(password=pw2, token=next_token())\n", "f(token=tok, secret=self.secret)\n",
                 "if password == other:\n"):
        assert redact(code) == code


def test_lines_of_a_diff_are_redacted_like_the_file():
    delta = ("--- a/values.yaml\n+++ b/values.yaml\n@@ -1,2 +1,2 @@\n-  password: oldLettersOnly\n"
             "+  password: newLettersOnly\n   user: app\n+MAIL_PASSWORD=MailLetters\n")
    out = redact(delta, "values.yaml")
    assert "LettersOnly" not in out and "MailLetters" not in out and "user: app" in out


def test_typed_secrets_stay_out_of_history_features_and_patterns(vault):
    typed = f"use password=Sup3r-S3cret!x and the token {S['secret in an instruction']}"
    feature = vault.session.create_feature(f"Rotate the key {S['secret in a feature title']}")
    vault.session.lock(feature.id)
    vault.session.update_scratchpad(feature.id, user_instruction=typed, code_to_propose=SETTINGS_LINE)
    asyncio.run(vault.record_exchange("user", typed))
    vault.record_pattern(signature="def connect(timeout):", user_intent=typed, old_code="",
                         new_code=SETTINGS_LINE, path="app/settings.py")
    stored = "\n".join([*(f.title + f.user_instruction + f.code_to_propose for f in vault.session.features()),
                        *(m.text for m in vault.session.history()),
                        *(p.user_intent + p.code_delta for p in patterns.all_patterns(vault.store))])
    assert planted.leaks(stored) == [] and "Sup3r-S3cret" not in stored
    assert "Rotate the key" in stored and "use password=" in stored


SETTINGS_LINE = f'SECRET_KEY = "{S["SECRET_KEY"]}"\n'


def test_a_vault_redacted_by_older_rules_is_rebuilt_and_the_missed_secret_leaves_the_file(tmp_path):
    # A vault written before the rules learnt a format keeps the secret in
    # its chunks: unchanged files are never read again. The index version
    # carries the redaction rules, so such a vault is rebuilt, and deleted
    # rows are overwritten on disk.
    import asyncio
    import sqlite3
    import zlib

    from mycoder_lsp.config import Settings
    from mycoder_lsp.memory import lexical
    from mycoder_lsp.memory.vault import Vault

    missed = "hunter2-" + "x7Kq9" * 4
    root = tmp_path / "ws"
    root.mkdir()
    (root / ".git").mkdir()
    (root / "app.py").write_text("def connect():\n    return open_db()\n")
    vault = Vault.open(root, Settings())
    asyncio.run(vault.index())
    vault.close()
    # What an older version left behind: its index version and a chunk
    # holding a value its rules did not catch.
    db = root / ".mycoder" / "vault.db"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'lexical'", (lexical.VERSION,))
        # The chunk texts of a file are one zlib blob (see store.pack_texts).
        body = conn.execute("SELECT body FROM texts WHERE path = 'app.py'").fetchone()[0]
        planted = zlib.compress(zlib.decompress(body) + f"\n# password = {missed}\n".encode())
        conn.execute("UPDATE texts SET body = ? WHERE path = 'app.py'", (planted,))
    conn.close()
    vault = Vault.open(root, Settings())
    asyncio.run(vault.index())
    vault.close()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        contents = [zlib.decompress(row[0]).decode() for row in conn.execute("SELECT body FROM texts")]
    conn.close()
    assert contents and not any(missed in c for c in contents)
    stored = b"".join(p.read_bytes() for p in (root / ".mycoder").iterdir() if p.is_file())
    assert missed.encode() not in stored and planted not in stored
