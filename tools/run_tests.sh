#!/usr/bin/env bash
# The README's test command: install (if needed), then the default test run
# (tests marked `slow` are excluded; run them with `-m slow`).
set -euo pipefail
cd "$(dirname "$0")/.."
# OpenMP threads that spin while waiting make torch several times slower as
# soon as another process shares the CPU (measured: 7x per training
# iteration on 2 cores with one other busy process); passive waiting costs
# nothing measurable on an idle machine.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
bash tools/install.sh
exec "${PYTHON:-python3}" -m pytest tests "$@"
