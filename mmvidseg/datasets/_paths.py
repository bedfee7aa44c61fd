# Copyright (c) mmvidseg contributors. All rights reserved.
"""Frame paths read from annotation files stay inside the data root."""
import os.path as osp
from typing import Optional, Type

from ._instance_utils import DatasetFormatError


def contained_join(prefix: Optional[str], rel: str, where: str,
                   error: Type[Exception] = DatasetFormatError) -> str:
    """``osp.join(prefix, rel)`` for a relative path that does not climb out
    of ``prefix``.

    Annotation files come from the internet; a ``file_name`` such as
    ``'../../home/me/.ssh/id_rsa'`` or ``'/etc/passwd'`` would make a data
    loader read (and a visualiser copy) a file outside the dataset.

    Args:
        prefix (str, optional): The folder the annotation file's paths are
            relative to ('' or None: the current folder).
        rel (str): The path as written in the annotation file.
        where (str): File / video / frame, for the error message.
        error (type): Exception class to raise. Defaults to
            :class:`DatasetFormatError`.

    Raises:
        error: for an absolute path or one that leaves ``prefix``.
    """
    if not isinstance(rel, str) or not rel:
        raise error(f'{where}: file name {rel!r} is not a non-empty string')
    if osp.isabs(rel) or rel.startswith(('\\', '~')) or (
            len(rel) > 1 and rel[1] == ':'):
        raise error(f'{where}: file name {rel!r} is absolute; annotation '
                    'files must hold paths relative to the image folder '
                    '(data_root / data_prefix).')
    norm = osp.normpath(rel.replace('\\', '/'))
    if norm == '..' or norm.startswith('../'):
        raise error(f'{where}: file name {rel!r} leads outside the image '
                    'folder (".."); refusing to read it. Fix the annotation '
                    'file or move the frames under data_root.')
    return osp.join(prefix, rel) if prefix else rel
