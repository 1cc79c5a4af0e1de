from __future__ import annotations

import pytest

from mycoder_lsp.config import Settings
from mycoder_lsp.validation.findings import Severity
from mycoder_lsp.validation.pipeline import validate_text
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


# ---------------------------------------------------------------- passwords where they are used (MC405)


@pytest.mark.parametrize(
    "code",
    [
        'DATABASE_URL = "postgresql://admin:S3cretPass42@db.internal:5432/orders"\n',
        'cache = redis.Redis.from_url("redis://:p4ssw0rd-cache@cache.local:6379/0")\n',
        'client = MongoClient(f"mongodb://root:M0ngoR00t@{host}:27017/")\n',
        'conn = pyodbc.connect("DRIVER={SQL Server};SERVER=db01;UID=sa;PWD=Passw0rd!2")\n',
        'conn = psycopg2.connect("host=db user=app password=hunter22 dbname=app")\n',
    ],
)
def test_password_inside_a_connection_url_or_string(check, code):
    (finding,) = by_code(check(code), "MC405")
    assert finding.line == 0 and code[finding.column] in "\"f"  # on the string literal
    assert finding.severity == Severity.WARNING
    assert "os.environ" in finding.message


@pytest.mark.parametrize(
    ("code", "call"),
    [
        ('smtp.login("alerts@example.com", "Tr0ub4dor&3")\n', "login"),
        ('ftp = FTP("ftp.example.org", "deploy", "d3pl0y!")\n', "FTP"),
        ('conn.simple_bind_s("cn=admin,dc=example,dc=org", "ldapAdm1n")\n', "simple_bind_s"),
        ('auth = HTTPBasicAuth("admin", "Adm1nPass")\n', "HTTPBasicAuth"),
        ('requests.post(url, auth=("deploy", "s3cr3t-deploy"))\n', "post"),
        ('db = pymysql.connect("localhost", "root", "r00tpass", "app")\n', "connect"),
    ],
)
def test_literal_password_passed_to_a_login_call(check, code, call):
    (finding,) = by_code(check(code), "MC405")
    assert f"'{call}'" in finding.message and "getpass" in finding.message
    assert code[finding.column] == '"' and code[finding.end_column - 1] == '"'


def test_short_password_keyword_of_a_connect_call_is_mc404(check):
    code = 'db = pymysql.connect(host="localhost", user="root", password="toor")\n'
    (finding,) = by_code(check(code), "MC404")
    assert code[finding.column:].startswith("password=")
    assert not by_code(check('options = dict(password="toor")\n'), "MC404")  # no call says it is a password


@pytest.mark.parametrize(
    "code",
    [
        'DATABASE_URL = "postgresql://app@db.internal:5432/orders"\n',
        'REPO = "git+ssh://git@github.com/acme/tools.git"\n',
        'URL = "postgresql://user:${PASSWORD}@host/db"\n',
        'URL = "postgresql://{user}:{password}@{host}/app"\n',
        'URL = "postgresql://app:***@db/app"\n',
        'URL = "postgresql://user:password@host/db"\n',
        'URL = "postgresql://user:<password>@host/db"\n',
        'URL = "mysql://%(user)s:%(password)s@%(host)s/db"\n',
        'url = f"postgresql://{user}:{pw}@{host}/db"\n',
        'def f():\n    """Connect to postgresql://scott:tiger99@localhost/test."""\n',  # documentation
        'conn = psycopg2.connect("host=db user=app password=%s" % pw)\n',
        'smtp.login(os.environ["SMTP_USER"], os.environ["SMTP_PASSWORD"])\n',
        'box.login(user, getpass.getpass("Password: "))\n',
        'client.login("user", "<password>")\nclient.login("admin", "***")\nclient.login("admin", "")\n',
        'client.login("admin", "xxx")\nclient.login("admin", "changeme")\n',
        "self.server.login('testuser', 'testpw')\nsmtp.login('psu', 'doesnotexist')\n",  # a test's made-up values
        'client.login(username=user, password=pw)\n',
        'requests.get(url, auth=(user, os.environ["API_PASSWORD"]))\n',
        'sqlite3.connect("app.db")\n',
        'ftp.login("anonymous", "anonymous@")\n',  # anonymous FTP: any e-mail address
        'conn = sqlite3.connect("app.db", 5.0, 0, "DEFERRED")\n',  # not a MySQL driver
        'db.execute("UPDATE users SET password=:password WHERE id=?", row)\n',  # SQL parameters
    ],
)
def test_passwords_in_use_lookalikes(check, code):
    result = check(code)
    assert not [f for f in result.findings if f.code in ("MC404", "MC405")], result.findings


@pytest.mark.parametrize("code", [
    'INTERNAL_RESET_SESSION_TOKEN = "_password_reset_token"\n',  # django: a session key's name
    "token = r\"[-!#$%&'*+.^_`|~0-9a-zA-Z]+\"\n",  # h11: a grammar's token pattern
    'CSRF_HEADER_TOKEN = "x_csrf.token"\n',
])
def test_names_and_patterns_assigned_to_secret_names_are_not_secrets(code):
    assert [f.code for f in validate_text(code, path="m.py").findings] == []


@pytest.mark.parametrize("code", [
    'db_password = "correct-horse-battery"\n',
    'db_password = "correct_horse_battery"\n',
    'SECRET_KEY = "django-insecure-9x$k2!a8f#p@q"\n',
])
def test_real_looking_secrets_are_still_found(code):
    assert "MC404" in [f.code for f in validate_text(code, path="m.py").findings]
