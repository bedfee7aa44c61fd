#!/usr/bin/env bash
# The README's test command: install (if needed), then the default test run
# (tests marked `slow` are excluded; run them with `-m slow`).
set -euo pipefail
cd "$(dirname "$0")/.."
# On a CPU shared with other busy processes, run with OMP_WAIT_POLICY=PASSIVE
# (see README); on an idle machine OpenMP's default spin-waiting is faster.
bash tools/install.sh
exec "${PYTHON:-python3}" -m pytest tests "$@"
