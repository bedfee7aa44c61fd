#!/usr/bin/env bash
# The README's test command: install (if needed), then the default test run
# (tests marked `slow` are excluded; run them with `-m slow`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install.sh
exec "${PYTHON:-python3}" -m pytest tests "$@"
