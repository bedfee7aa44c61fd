#!/usr/bin/env bash
# The README's main job: install (if needed) -> toy data -> train -> CodaLab
# submission + local YouTube-VIS AP -> rendered videos, all on CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
# OpenMP threads that spin while waiting make torch several times slower as
# soon as another process shares the CPU (measured: 7x per training
# iteration on 2 cores with one other busy process); passive waiting costs
# nothing measurable on an idle machine.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
bash tools/install.sh
exec "${PYTHON:-python3}" tools/main_job.py "$@"
