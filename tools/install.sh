#!/usr/bin/env bash
# Idempotent install of the pinned mmvidseg stack into the active Python.
#
#   bash tools/install.sh            # install everything that is missing
#   MMVIDSEG_WITH_OPS=0 bash tools/install.sh   # skip mmvidseg's own C++ ops
#
# Order matters: torch (pinned CPU/CUDA build) -> build tools -> mmcv 2.1.0 from
# source with ops -> mmengine / mmdet / mmseg -> runtime + test requirements ->
# mmvidseg in editable mode. A second run only checks versions (seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# every pip call takes the exact pins of requirements/constraints.txt (the
# whole dependency closure), so two fresh installs get the same packages
PIP="$PY -m pip install --disable-pip-version-check -q -c requirements/constraints.txt"

have() {  # have <dist> <version>: true if that exact version is installed
    "$PY" - "$1" "$2" <<'PYEOF' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(0 if version(sys.argv[1]).split('+')[0] == sys.argv[2] else 1)
PYEOF
}

step() { echo "[install] $*"; }

have torch 2.13.0 || { step 'torch 2.13.0'; $PIP torch==2.13.0; }
"$PY" -c "import setuptools,sys; v=tuple(map(int,setuptools.__version__.split('.')[:2])); sys.exit(0 if (77,0)<=v<(81,0) else 1)" \
    || { step 'setuptools>=77.0.3,<81 wheel ninja'; $PIP "setuptools>=77.0.3,<81" wheel ninja; }
"$PY" -c "import wheel, ninja" 2>/dev/null || $PIP wheel ninja
if ! have mmcv 2.1.0 || ! "$PY" -c "import mmcv.ops" 2>/dev/null; then
    step 'mmcv 2.1.0 from source with ops (about 15 min on 2 cores the first time; pip caches the wheel)'
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} $PIP --no-build-isolation mmcv==2.1.0
fi
have mmengine 0.10.7 || { step 'mmengine 0.10.7'; $PIP mmengine==0.10.7; }
have mmdet 3.3.0 || { step 'mmdet 3.3.0'; $PIP mmdet==3.3.0; }
have mmsegmentation 1.2.2 || { step 'mmsegmentation 1.2.2'; $PIP mmsegmentation==1.2.2; }

# runtime / test / optional requirements present, and every pinned package at
# its pinned version (a mismatch is reinstalled at the pin)
if ! "$PY" - <<'PYEOF'
import re
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
bad = []
for req in ('requirements/runtime.txt', 'requirements/tests.txt',
            'requirements/optional.txt'):
    for line in Path(req).read_text().splitlines():
        line = line.split('#')[0].strip()
        if line:
            name = re.split(r'[<>=!~\[; ]', line)[0]
            try:
                version(name)
            except PackageNotFoundError:
                bad.append(f'{name} (missing)')
for line in Path('requirements/constraints.txt').read_text().splitlines():
    line = line.split('#')[0].strip()
    if not line:
        continue
    name, pinned = line.split('==')
    try:
        have = version(name).split('+')[0]
    except PackageNotFoundError:
        continue  # installed below if something asks for it
    if have != pinned:
        bad.append(f'{name} {have} (pinned {pinned})')
if bad:
    print('[install] not as pinned: ' + ', '.join(bad))
sys.exit(1 if bad else 0)
PYEOF
then
    step 'runtime, test and optional requirements (pinned by requirements/constraints.txt)'
    $PIP -r requirements/runtime.txt -r requirements/tests.txt -r requirements/optional.txt
fi

# mmvidseg itself (editable). Rebuilds C++ ops only when sources changed.
# (checked from outside the source tree: from inside it, `import mmvidseg`
# finds the checkout's folder even when the editable install points elsewhere,
# e.g. at another clone)
here=$(pwd -P)
if ! (cd / && "$PY" -c "import mmvidseg, sys; from pathlib import Path; sys.exit(0 if Path(mmvidseg.__file__).resolve().parent == Path('$here/mmvidseg').resolve() else 1)") 2>/dev/null \
   || [ -n "$(find mmvidseg/ops -newer .install-stamp \( -name '*.cpp' -o -name '*.cu' -o -name '*.h' \) 2>/dev/null | head -1)" ] \
   || [ ! -f .install-stamp ]; then
    step 'mmvidseg (editable)'
    $PIP --no-build-isolation --no-deps -e .
    touch .install-stamp
fi
# The C++ ops, built in place (an editable install does not always place the
# extension where the source tree imports it). Failure is not fatal: mmvidseg
# then uses its pure-PyTorch paths, and `mmvidseg.ops.info()` says so.
if [ "${MMVIDSEG_WITH_OPS:-1}" != "0" ]; then
    so=$(ls mmvidseg/ops/_ext*.so 2>/dev/null | head -1 || true)
    if [ -z "$so" ] || [ -n "$(find mmvidseg/ops/csrc -newer "$so" -type f 2>/dev/null | head -1)" ]; then
        step 'mmvidseg C++ ops (about 1-2 min)'
        MAX_JOBS=${MAX_JOBS:-2} "$PY" setup.py -q build_ext --inplace \
            || echo '[install] WARNING: building mmvidseg.ops failed; using the pure-PyTorch ops'
    fi
fi
"$PY" -c "import mmvidseg, mmvidseg.ops as ops; print('[install] ok: mmvidseg', mmvidseg.__version__, '| ops compiled:', ops.info()['compiled'])"
