#!/usr/bin/env bash
# The quality gate: ruff (lint + import order) over the whole tree and mypy
# over the package, both configured in pyproject.toml. Run by scripts/test.sh
# after the test suite; on its own: bash scripts/quality.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
py=.venv/bin/python
"$py" -m ruff check
"$py" -m mypy
