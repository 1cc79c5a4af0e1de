"""A workspace with one secret of each kind planted in it, for the secrets suite.

Every value is put together from parts, so this file holds no whole token that
a scanner (ours included) would flag. :func:`leaks` says which planted values
(or any 12-character piece of one, lowercased too: the lexical index lowercases)
appear in some text.
"""

from __future__ import annotations

from pathlib import Path

# kind -> the secret value that must never leave the file it is in.
SECRETS: dict[str, str] = {
    "aws access key id": "AKIA" + "Z7Q2M4X8W6R3T5Y1",
    "aws secret access key": "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzq83hd02kqLt",
    "github token": "ghp_" + "Xk29VbLq7TzR4mNc8WpJ3yHs6Df1Ga5Eo0Ui",
    "slack token": "xoxb-" + "2048337715-7731-Zr8QkLm3Vb7Tx9Wp",
    "openai key": "sk-" + "proj-Qm4Zt8Rx2Lp6Vn9Kc3Hw7Jy5Bd1Fs0GaTe",
    "private key block": "b3BlbnNzaC1rZXktdjEAAAAA" + "BG5vbmUAAAAEbm9uZQAAAAAAAAAB",
    "generic API_KEY": "9fK2mQ7xLp" + "4vRt8wZc3n",
    "SECRET_KEY": "Hq7Vw2Rk9X" + "z4Lm8Np3Ct",
    "annotated db_password": "Pg-Sup3r-" + "S3cret-77",
    "yaml password": "hunter" + "YamlLetters",
    "unquoted env value": "MailUnquoted" + "Letters",
    "connection url password": "Tr4nsp0rt" + "-Pw-55",
    "jwt": ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" + "." + "eyJzdWIiOiJzdmMtYm90IiwiaWF0IjoxNzAwMDAwMDAwfQ"
            + "." + "Kx9vQ2mT8zR4LpW7nC3hY6bF1dS5gJ0aE-uI_oPqXw"),
    "bearer token": "7Fq2Lm9Xv4" + "Rt8Wz3Kp6Nc1Hs",
    "secret in an instruction": "glpat-" + "Vx8Kq2Lm7Tz4Rn9Wc3Pb",
    "secret in a feature title": "hf_" + "QwErTy12UiOp34AsDf56GhJk78LzXc90VbNm",
    "stripe live key": "sk_" + "live_" + "51Mz3Tb8Qw6Ye1Ux5Ri9Op2Aa",
    "google api key": "AIza" + "SyD-4Jh8Gf2Dk6Sa9Lq3Pw7Oe1Iu5Yt0RrE",
}
S = SECRETS
BEGIN_KEY = "-----BEGIN OPENSSH " + "PRIVATE KEY-----"

SETTINGS_PY = f'''"""Service settings."""
from dataclasses import dataclass

AWS_ACCESS_KEY_ID = "{S["aws access key id"]}"
AWS_SECRET_ACCESS_KEY = "{S["aws secret access key"]}"
GITHUB_TOKEN = "{S["github token"]}"
SLACK_BOT = "{S["slack token"]}"
OPENAI = "{S["openai key"]}"
STRIPE = "{S["stripe live key"]}"
MAPS = "{S["google api key"]}"
API_KEY = "{S["generic API_KEY"]}"
SECRET_KEY = "{S["SECRET_KEY"]}"
DATABASE_URL = "postgres://app:{S["connection url password"]}@db.internal:5432/app"
SERVICE_JWT = "{S["jwt"]}"
HEADERS = {{"Authorization": "Bearer {S["bearer token"]}"}}
DEPLOY_KEY = """{BEGIN_KEY}
{S["private key block"]}
-----END OPENSSH PRIVATE KEY-----"""


@dataclass
class Database:
    host: str = "db.internal"
    db_password: str = "{S["annotated db_password"]}"


def connect(timeout):
    return {{"url": DATABASE_URL, "timeout": timeout, "key": API_KEY}}


def headers():
    return dict(HEADERS)
'''

APP_YAML = f"""database:
  host: db.internal
  user: app
  password: {S["yaml password"]}
"""

COMPOSE_YAML = f"""services:
  web:
    image: web:latest
    environment:
      - MAIL_HOST=smtp.internal
      - MAIL_PASSWORD={S["unquoted env value"]}
"""

FILES = {
    "app/settings.py": SETTINGS_PY,
    "config/app.yaml": APP_YAML,
    "docker-compose.yml": COMPOSE_YAML,
}

# Where the editor's cursor goes for a request about ``connect`` (0-based).
CONNECT_LINE = SETTINGS_PY.splitlines().index("def connect(timeout):")
CONNECT_ANSWER = 'def connect(timeout):\n    return {"url": DATABASE_URL, "timeout": float(timeout), "key": API_KEY}\n'


def plant(root: Path) -> None:
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _pieces(value: str, width: int = 12) -> set[str]:
    if len(value) <= width:
        return {value}
    return {value[i:i + width] for i in range(len(value) - width + 1)}


def leaks(text: str | bytes) -> list[str]:
    """The kinds of planted secret of which ``text`` holds the value or a piece."""
    data = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    lowered = data.lower()
    found = []
    for kind, value in SECRETS.items():
        if any(piece in data or piece.lower() in lowered for piece in _pieces(value)):
            found.append(kind)
    return found


def vault_bytes(root: Path) -> bytes:
    """Every file under the workspace's ``.mycoder/`` (vault.db, its -wal and -shm, logs)."""
    return b"\n".join(p.read_bytes() for p in sorted((root / ".mycoder").rglob("*")) if p.is_file())


def strings_in(value: object) -> list[str]:
    """Every string in a decoded JSON body (keys too)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *strings_in(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []
