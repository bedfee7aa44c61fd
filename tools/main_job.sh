#!/usr/bin/env bash
# The README's main job: install (if needed) -> toy data -> train -> CodaLab
# submission + local YouTube-VIS AP -> rendered videos, all on CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install.sh
exec "${PYTHON:-python3}" tools/main_job.py "$@"
