"""Secrets never reach the vault; identifiers split the way code is searched."""

from __future__ import annotations

from mycoder_lsp.memory.lexical import query_terms, tokens
from mycoder_lsp.memory.redaction import REDACTED, redact

KEY_BLOCK = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAbCd\n-----END RSA PRIVATE KEY-----"


def test_redacts_the_security_layers_secrets_and_keeps_lines():
    text = (
        'GITHUB = "ghp_' + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" + '"\n'
        f"{KEY_BLOCK}\n"
        'password = "hunter2-Correct!"\n'
        'db_password: "s3cr3t-Value-9"\n'
        "api_key = os.environ['API_KEY']\n"
        'token_type = "bearer-token-x"\n'
        'password = "changeme"\n'
        "normal = 'AKIA is a prefix but AKIA1 is not a key'\n"
    )
    out = redact(text)
    assert out.count("\n") == text.count("\n")  # line numbers of everything else hold
    assert "ghp_a1B2" not in out and "MIIEow" not in out
    assert "hunter2-Correct!" not in out and "s3cr3t-Value-9" not in out
    assert out.count(REDACTED) == 5  # each line of the key's body on its own
    # Not secrets: environment lookups, names that are not secrets, placeholders, prose.
    for kept in ("os.environ['API_KEY']", '"bearer-token-x"', '"changeme"', "AKIA1 is not a key"):
        assert kept in out
    assert redact("") == "" and redact("x = 1\n") == "x = 1\n"


def test_tokens_split_identifiers_and_keep_the_whole():
    assert tokens("parseHTTPResponse") == ["parse", "http", "response", "parsehttpresponse"]
    # Parts are plural-folded; the whole multi-part identifier is kept as written.
    assert tokens("load_settings(path)") == ["load", "setting", "load_settings", "path"]
    assert tokens("x2 = 42") == ["x", "2", "x2", "42"]
    assert query_terms("Return the settings of the workspace") == ["setting", "workspace"]


def test_plural_folding_meets_in_the_middle_and_spares_short_and_latin_words():
    assert tokens("get_entries") == ["get", "entry", "get_entries"]
    assert query_terms("Parse all entries") == ["parse", "all", "entry"]
    assert tokens("items") == tokens("item") == ["item"]
    for kept in ("class", "status", "axis", "bus", "has", "gas"):
        assert tokens(kept) == [kept]
