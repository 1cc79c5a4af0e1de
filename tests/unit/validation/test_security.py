from __future__ import annotations

import pytest

from mycoder_lsp.config import Settings
from mycoder_lsp.validation.findings import Severity
from tests.unit.validation.conftest import codes


def by_code(result, code):
    return [f for f in result.findings if f.code == code]


def test_eval_and_exec_calls_are_found_with_range(check):
    result = check("x = eval(input())\nexec('print(1)')\n")
    found = by_code(result, "MC401")
    assert [(f.line, f.column, f.end_column) for f in found] == [(0, 4, 8), (1, 0, 4)]
    assert all(f.severity == Severity.WARNING for f in found)
    assert "forbidden_sources" in found[0].message


def test_builtins_dot_eval_is_the_builtin(check):
    assert by_code(check("import builtins\nbuiltins.eval('1')\n"), "MC401")


@pytest.mark.parametrize(
    "code",
    [
        "model.eval()\n",  # a method of the same name
        "text = 'never call eval() or exec() here'\n",  # the word in a string
        "# eval(x) would be bad\n",  # a comment
        "def eval(x):\n    return x\n\nprint(eval(1))\n",  # a local function named eval
        "from mylib import exec\nexec()\n",  # an imported name
    ],
)
def test_lookalikes_are_not_the_builtin(check, code):
    assert not by_code(check(code), "MC401")


def test_forbidden_sources_come_from_the_constitution(check):
    settings = Settings()
    settings.constitution.forbidden_sources = ["compile", "__import__"]
    result = check("eval('1')\ncompile('1', 'f', 'eval')\n__import__('os')\n", settings=settings)
    assert [f.line for f in by_code(result, "MC401")] == [1, 2]


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ('KEY = "AKIAIOSFODNN7REALKEY"\n', "AWS"),
        ('t = "ghp_' + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" + '"\n', "GitHub"),
        ('s = "xoxb-123456789012-abcdefghijKL"\n', "Slack"),
        ('k = "sk-' + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z" + '"\n', "OpenAI"),
    ],
)
def test_token_formats(check, line, what):
    (finding,) = by_code(check(line), "MC402")
    assert what in finding.message
    assert finding.line == 0 and finding.column == line.index('"') + 1
    assert finding.end_column == line.rindex('"')


def test_private_key_block(check):
    code = 'KEY = """-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"""\n'
    (finding,) = by_code(check(code), "MC403")
    assert (finding.line, finding.column) == (0, 9)


def test_secret_names_assigned_literals(check):
    result = check('password = "hunter2!"\napi_key = "9f8e7d6c5b4a39281706"\nconfig = {"secret": "Zq8vLm2pXr77wq"}\n'
                   'connect(token="AbCdEf0123456789xyz")\n')
    found = by_code(result, "MC404")
    assert [(f.line, f.column) for f in found] == [(0, 0), (1, 0), (2, 10), (3, 8)]
    assert "os.environ" in found[0].message


@pytest.mark.parametrize(
    "code",
    [
        "import os\npassword = os.environ['DB_PASSWORD']\n",
        "import os\napi_key = os.getenv('API_KEY', '')\n",
        "password = config.get('db', 'password')\n",
        'password = ""\n',
        'password = "changeme"\n',
        'api_key = "<your-key>"\n',
        'secret = "xxx"\n',
        'token = "${TOKEN}"\n',
        'api_key = "YOUR_API_KEY_HERE"\n',
        'password_prompt = "Enter your password: "\n',
        'token_type = "bearer_access_token"\n',
        'PASSWORD_FIELD = "password"\n',
        'token = "NAME"\n',
        "x = 'AKIAXXXXXXXXXXXXXXXX'\n",
        'password = f"{user}:{pw}"\n',
    ],
)
def test_not_secrets(check, code):
    result = check(code)
    assert not [c for c in codes(result) if c in ("MC402", "MC403", "MC404")], result.findings


def test_tokens_in_other_languages(check):
    result = check('const key = "AKIAIOSFODNN7REALKEY";\n', name="a.js")
    assert codes(result) == ["MC402"]
