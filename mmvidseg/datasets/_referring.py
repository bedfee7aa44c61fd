# Copyright (c) mmvidseg contributors. All rights reserved.
"""Shared pieces of the referring video segmentation datasets.

Every referring dataset item is one *sample*: a referring expression with
the window of frames the model sees (Ref-YouTube-VOS / Ref-DAVIS: a window
of annotated frames or the whole video; A2D / JHMDB: a window centred on
the annotated frame). Items follow mmdet's ``BaseVideoDataset`` layout
(``{video_id, video_name, video_length, images: [frame info]}``) and every
frame info carries the sample-level metainfo the MTTR segmentor and the
referring metrics read (``text``, ``exp_id``, ``referred_instance_id``,
``is_annotated``, ``video_id`` = the video *name*, used in submission paths).

Annotations are read lazily in :meth:`ReferringVideoDataset.prepare_data`
(one window of PNG / h5 / mat files per sample), so building the dataset
touches only the expression files.
"""
from collections import defaultdict
from typing import Any, Dict, List

from ._instance_utils import DatasetFormatError
from .base_video_dataset import BaseVideoDataset

# frame metainfo keys a referring pipeline hands to the model and metrics
# (``PackTrackInputs(meta_keys=REFER_META_KEYS)``)
REFER_META_KEYS = ('text', 'exp_id', 'referred_instance_id', 'is_annotated',
                   'video_name', 'image_id', 'obj_id')


def clean_text(text: Any, where: str) -> str:
    """Lower-case, whitespace-normalised expression (official clean-up:
    ``" ".join(text.lower().split())``); an empty one is an error."""
    if not isinstance(text, str):
        raise DatasetFormatError(f'{where}: the expression is '
                                 f'{type(text).__name__}, not a string')
    text = ' '.join(text.lower().split())
    if not text:
        raise DatasetFormatError(f'{where}: empty referring expression; '
                                 'remove it from the annotation file')
    return text


class ReferringVideoDataset(BaseVideoDataset):
    """Base of the referring datasets: one item per (expression, window).

    Subclasses implement :meth:`load_data_list` and
    :meth:`load_annotations` (fills each frame's ``instances`` of one item).
    ``prepare_data`` hands the pipeline a dict of per-frame lists in train
    and test mode alike (the window is fixed by the dataset, so no frame
    sampler is needed): ``TransformBroadcaster`` + ``PackTrackInputs``.

    Args:
        referred_only (bool, optional): Keep only the referred object's mask
            in ``instances`` (what the referring metrics score). Defaults to
            ``test_mode``; training keeps every annotated object (MTTR's
            targets are all instances).
        **kwargs: ``BaseVideoDataset`` arguments.
    """

    METAINFO = dict(classes=('object', ))

    def __init__(self, *args, referred_only=None, **kwargs) -> None:
        self.referred_only = kwargs.get('test_mode', False) \
            if referred_only is None else referred_only
        super().__init__(*args, **kwargs)

    def load_annotations(self, item: dict) -> dict:
        """Return ``item`` with ``instances`` filled in every frame."""
        return item

    def filter_data(self) -> List[dict]:
        """Samples are filtered while they are listed."""
        return self.data_list

    def prepare_data(self, idx: int) -> Any:
        """Collate the sample's frames (dict of lists) and run the pipeline."""
        item = self.load_annotations(self.get_data_info(idx))
        frames = item['images']
        collated: Dict[str, list] = defaultdict(list)
        for frame in frames:
            for key, value in frame.items():
                collated[key].append(value)
        collated['video_length'] = [len(frames)] * len(frames)
        collated['ori_video_length'] = [item['video_length']] * len(frames)
        return self.pipeline(dict(collated))

    def get_cat_ids(self, index: int) -> List[int]:
        return [0]

    def get_len_per_video(self, idx: int) -> int:
        return len(self.get_data_info(idx)['images'])

    @property
    def num_all_imgs(self) -> int:
        return sum(len(self.get_data_info(i)['images'])
                   for i in range(len(self)))
