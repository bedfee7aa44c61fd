#!/usr/bin/env bash
# The README's main job: install (if needed) -> toy data -> train -> CodaLab
# submission + local YouTube-VIS AP -> rendered videos, all on CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
# On a CPU shared with other busy processes, run with OMP_WAIT_POLICY=PASSIVE
# (see README); on an idle machine OpenMP's default spin-waiting is faster.
bash tools/install.sh
exec "${PYTHON:-python3}" tools/main_job.py "$@"
