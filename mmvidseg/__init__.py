# Copyright (c) mmvidseg contributors. All rights reserved.
"""mmvidseg: video segmentation for the OpenMMLab 2.x stack.

Importing the package imports nothing from mmcv / mmdet / mmengine: the pure
metric code (``mmvidseg.evaluation.functional``, ``.offline``) and
``mmvidseg.structures.masks`` work without them. The stack's versions are
checked when :mod:`mmvidseg.registry` is first imported
(:func:`mmvidseg.utils.compat.check_versions`).
"""
from .version import __version__, version_info

__all__ = ['__version__', 'version_info']
