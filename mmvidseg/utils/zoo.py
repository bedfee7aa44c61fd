# Copyright (c) mmvidseg contributors. All rights reserved.
"""``zoo://NAME``: download a model-zoo checkpoint, verify it, convert it.

``load_from='zoo://tevit_msgshift_8xb2-9200i_youtubevis2019'`` in a config,
``init_model(CONFIG, 'zoo://NAME')`` or ``--cfg-options load_from=zoo://NAME``
look ``NAME`` up in the metafiles listed by ``model-index.yml`` and:

1. return the cached, converted file ``<cache>/<NAME>.pth`` if present;
2. else download the entry's weights (``Converted From: Weights`` for an
   official release, else ``Weights``) to ``<cache>/downloads/`` (through a
   ``.part`` file renamed when complete), check its SHA-256 when the entry
   gives one (a mismatch deletes the download and says both hashes);
3. unpack a ``.zip`` release into a folder next to it, refusing members that
   would land outside it (absolute paths, ``..``);
4. run the entry's converter (``Converted From: Converter``, a script under
   ``tools/model_converters/``, with ``Converter Args``; ``{dir}`` stands for
   the unpacked folder, ``{member_dir}`` for the folder of the checkpoint in
   it) writing ``<NAME>.pth`` through a temporary file;
5. load the result through mmvidseg's allow-list loader.

The cache is ``$MMVIDSEG_HOME/zoo`` (default ``~/.cache/mmvidseg/zoo``);
``MMVIDSEG_MODEL_INDEX`` points at another ``model-index.yml`` (tests).
Metafile fields read (OpenMMLab's ``Converted From`` block, extended)::

    Weights: https://.../official.pth
    Converted From:
      Weights: https://.../official.pth      # what is downloaded
      Code: https://github.com/...
      Converter: tools/model_converters/tevit_to_mmvidseg.py
      Converter Args: --backbone r50 --config-yaml {member_dir}/config.yaml
      Member: '*.pth'                         # the checkpoint inside a zip
      SHA256: 0123...                         # of the downloaded file
"""
import difflib
import fnmatch
import hashlib
import os
import os.path as osp
import shlex
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from typing import Dict, List, Optional

import yaml

PREFIX = 'zoo://'
_REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_PKG = osp.dirname(osp.dirname(osp.abspath(__file__)))


class ZooError(RuntimeError):
    """A model-zoo name, download, hash or conversion failed."""


def cache_root() -> str:
    home = os.environ.get('MMVIDSEG_HOME',
                          osp.join(osp.expanduser('~'), '.cache', 'mmvidseg'))
    return osp.join(home, 'zoo')


def _index_path() -> str:
    env = os.environ.get('MMVIDSEG_MODEL_INDEX')
    if env:
        return env
    for root in (_REPO, osp.join(_PKG, '.mim')):
        path = osp.join(root, 'model-index.yml')
        if osp.isfile(path):
            return path
    raise ZooError('model-index.yml not found (a source checkout or an '
                   'install with the .mim folder is needed)')


def load_index(index: Optional[str] = None) -> Dict[str, dict]:
    """``{model name: metafile entry}`` of every metafile the index imports
    (entries get ``_root``: the folder paths in them are relative to)."""
    index = index or _index_path()
    root = osp.dirname(osp.abspath(index))
    with open(index) as f:
        data = yaml.safe_load(f) or {}
    models = {}
    for meta in data.get('Import', []):
        with open(osp.join(root, meta)) as f:
            for entry in (yaml.safe_load(f) or {}).get('Models', []):
                models[entry['Name']] = dict(entry, _root=root)
    return models


def zoo_entry(name: str, index: Optional[str] = None) -> dict:
    models = load_index(index)
    if name not in models:
        close = difflib.get_close_matches(name, list(models), n=3)
        raise ZooError(f'{PREFIX}{name}: no such model in the model zoo '
                       f'({len(models)} models)' +
                       (f'; did you mean {close}?' if close else ''))
    return models[name]


def sha256sum(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, dst: str, sha256: Optional[str] = None) -> str:
    """Download ``url`` to ``dst`` (atomic rename), verify ``sha256``."""
    os.makedirs(osp.dirname(dst), exist_ok=True)
    if not osp.isfile(dst):
        part = f'{dst}.part-{os.getpid()}'
        try:
            with urllib.request.urlopen(url, timeout=60) as r, \
                    open(part, 'wb') as f:
                for block in iter(lambda: r.read(1 << 20), b''):
                    f.write(block)
        except Exception as e:
            if osp.exists(part):
                os.remove(part)
            raise ZooError(f'downloading {url} failed: {e}') from e
        os.replace(part, dst)
    if sha256:
        got = sha256sum(dst)
        if got != sha256.lower():
            os.remove(dst)
            raise ZooError(f'{url}: SHA-256 mismatch (expected {sha256}, got '
                           f'{got}); the download was deleted. Retry, or '
                           'report it if it persists.')
    return dst


def safe_extract(archive: str, dest: str) -> List[str]:
    """Unpack a zip into ``dest``; refuse members that leave it."""
    dest_abs = osp.realpath(dest)
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        for member in names:
            target = osp.realpath(osp.join(dest_abs, member))
            if osp.isabs(member) or not (target == dest_abs or target.startswith(
                    dest_abs + os.sep)):
                raise ZooError(f'{archive}: member {member!r} would be '
                               f'written outside {dest}; refusing to unpack')
        zf.extractall(dest_abs)
    return names


def _converter_path(rel: str, root: str) -> str:
    for base in (root, _REPO, osp.join(_PKG, '.mim')):
        path = osp.join(base, rel)
        if osp.isfile(path):
            return path
    raise ZooError(f'converter {rel} not found')


def resolve(name: str, index: Optional[str] = None,
            cache: Optional[str] = None) -> str:
    """Local path of the converted checkpoint of zoo model ``name``."""
    entry = zoo_entry(name, index)
    cache = cache or cache_root()
    final = osp.join(cache, f'{name}.pth')
    if osp.isfile(final):
        return final
    conv = entry.get('Converted From') or {}
    url = conv.get('Weights') or entry.get('Weights')
    if not url:
        raise ZooError(f'{PREFIX}{name}: the metafile lists no weights')
    src = download(url, osp.join(cache, 'downloads', osp.basename(url)),
                   conv.get('SHA256') or entry.get('SHA256'))
    workdir = None
    if src.endswith('.zip'):
        workdir = src[:-len('.zip')]
        names = safe_extract(src, workdir)
        pattern = conv.get('Member', '*.pth')
        found = sorted(n for n in names if fnmatch.fnmatch(n, pattern)
                       or fnmatch.fnmatch(osp.basename(n), pattern))
        if len(found) != 1:
            raise ZooError(f'{src}: expected one member matching '
                           f'{pattern!r}, found {found}')
        src = osp.join(workdir, found[0])
    converter = conv.get('Converter')
    tmp = f'{final}.tmp-{os.getpid()}.pth'
    if converter:
        args = shlex.split(conv.get('Converter Args', '').format(
            dir=workdir or osp.dirname(src), member_dir=osp.dirname(src)))
        cmd = [sys.executable, _converter_path(converter, entry['_root']),
               src, tmp, *args]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            if osp.exists(tmp):
                os.remove(tmp)
            raise ZooError(f'{PREFIX}{name}: converting {src} with '
                           f'{converter} failed:\n{proc.stderr[-2000:]}')
        os.replace(tmp, final)
    else:
        shutil.copyfile(src, tmp)
        os.replace(tmp, final)
    return final


def load_zoo_checkpoint(filename: str, map_location=None):
    """mmengine ``CheckpointLoader`` scheme for ``zoo://NAME``."""
    from mmvidseg.utils.checkpoint import load_checkpoint_file
    return load_checkpoint_file(resolve(filename[len(PREFIX):]),
                                map_location=map_location)


def register_zoo_scheme() -> None:
    """Let mmengine's loaders (``load_from``, ``load_checkpoint``,
    ``init_model``) read ``zoo://NAME``."""
    from mmengine.runner.checkpoint import CheckpointLoader
    if PREFIX not in CheckpointLoader._schemes:
        CheckpointLoader.register_scheme(prefixes=PREFIX,
                                         loader=load_zoo_checkpoint)
