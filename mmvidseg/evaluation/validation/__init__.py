# Copyright (c) mmvidseg contributors. All rights reserved.
"""Validation of prediction / submission files before any metric runs.

One module per format; every problem is a :class:`ResultsFormatError`
(a ``ValueError``) whose message names the file, the video / frame / entry,
the field and the fix. :mod:`.submission` checks a whole submission against
a split for ``tools/misc/check_submission.py``. Like the rest of
``evaluation/functional`` and ``evaluation/offline``, only numpy, Pillow,
pycocotools and ``mmvidseg.structures`` are imported.
"""
from .burst import validate_burst_results
from .coco import validate_coco_segm_results
from .davis import validate_davis_results
from .errors import Problems, ResultsFormatError
from .mots import validate_mots_folder
from .panoptic import (validate_cityscapes_vps, validate_coco_panoptic,
                       validate_kitti_step_folder, validate_vipseg)
from .refer import (validate_a2d_results,
                    validate_refer_submission)
from .splits import (Split, VideoSpec, split_from_davis,
                     split_from_meta_expressions, split_from_video_list,
                     split_from_ytvis)
from .ytvis import validate_ytvis_results

__all__ = [
    'Problems', 'ResultsFormatError', 'Split', 'VideoSpec',
    'split_from_davis', 'split_from_meta_expressions',
    'split_from_video_list', 'split_from_ytvis', 'validate_a2d_results',
    'validate_burst_results', 'validate_cityscapes_vps',
    'validate_coco_panoptic', 'validate_coco_segm_results',
    'validate_davis_results',
    'validate_kitti_step_folder', 'validate_mots_folder',
    'validate_refer_submission', 'validate_vipseg', 'validate_ytvis_results'
]
