# Copyright (c) mmvidseg contributors. All rights reserved.
"""Image panoptic datasets served as pseudo-clips (TarViS pre-training).

Reads the official COCO-panoptic format files of the four pre-training
datasets as they are distributed (no conversion step)::

    {"images": [{id, file_name, height, width}],
     "annotations": [{image_id, file_name (PNG), segments_info:
                      [{id, category_id, iscrowd}]}],
     "categories": [{id, name, isthing}]}

* COCO: ``panoptic_train2017.json`` + ``panoptic_train2017/*.png``, images
  ``train2017/``;
* ADE20K: detectron2's ``ade20k_panoptic_train.json`` +
  ``ade20k_panoptic_train/``, images ``images/training/``;
* Cityscapes: cityscapesscripts' ``cityscapes_panoptic_train.json`` +
  ``cityscapes_panoptic_train/``, images ``leftImg8bit/train/<city>/``
  (``layout='cityscapes'``: ``..._gtFine_leftImg8bit.png`` ->
  ``<city>/..._leftImg8bit.png``); class table = the 34 Cityscapes label ids
  (``categories='cityscapes'``) as the reference;
* Mapillary Vistas v1.2: ``panoptic/panoptic_2018.json`` + ``panoptic/``,
  images ``images/``.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import mmengine
from mmengine.logging import print_log

from mmvidseg.registry import DATASETS
from ._instance_utils import DatasetFormatError
from ._paths import contained_join
from .base_video_dataset import BaseVideoDataset
from .pseudo_clip import expand_to_clip
from .vps import IGNORE_LABEL, _VIDEO_ID_SHIFT

# cityscapesscripts labels.py ids 0..33 (the reference's
# metainfo/cityscapes_panoptic_categories.json without id -1), with
# hasInstances
CITYSCAPES_34_CATEGORIES = tuple(
    dict(id=i, name=n, isthing=int(24 <= i <= 33)) for i, n in enumerate((
        'unlabeled', 'ego vehicle', 'rectification border', 'out of roi',
        'static', 'dynamic', 'ground', 'road', 'sidewalk', 'parking',
        'rail track', 'building', 'wall', 'fence', 'guard rail', 'bridge',
        'tunnel', 'pole', 'polegroup', 'traffic light', 'traffic sign',
        'vegetation', 'terrain', 'sky', 'person', 'rider', 'car', 'truck',
        'bus', 'caravan', 'trailer', 'train', 'motorcycle', 'bicycle')))
CATEGORY_PRESETS = dict(cityscapes=CITYSCAPES_34_CATEGORIES)
LAYOUTS = ('coco', 'cityscapes')


@DATASETS.register_module()
class PanopticPseudoClipDataset(BaseVideoDataset):
    """A COCO-panoptic-format image dataset whose items are pseudo-clips.

    Re-implements the data side of ``PanopticImageDataset`` and its COCO /
    ADE20K / Cityscapes / Mapillary subclasses (``Ali2500/TarViS:
    tarvis/data/panoptic_image_dataset.py``; TarViS, Athar et al., CVPR
    2023). Items have the layout of the VPS datasets
    (:mod:`mmvidseg.datasets.vps`: ``panoptic_format='coco_rgb'``,
    ``segments_info``, ``num_classes``, ``thing_labels``,
    ``instance_id_base``) with the image repeated as ``num_frames`` frames,
    so ``LoadVideoPanopticAnnotations`` decodes the PNG (a segment id of the
    PNG missing from the JSON is an error naming the PNG and the id) and
    :class:`~mmvidseg.datasets.transforms.PanopticPseudoClipAffine` makes the
    clip; ``PackVideoPanopticInputs`` packs semantic (VPS) and thing
    instance (VIS / VOS) targets, so one item serves every pre-training
    task.

    Labels are positions in the category table (the reference's
    ``category_id_mapping``): the file's ``categories`` sorted by id, or
    ``categories`` (a list of ``{id, name, isthing}`` or ``'cityscapes'``).
    Things are ``isthing`` categories (Cityscapes: ``hasInstances``);
    segments of ``ignore_category_ids`` (Cityscapes: 0, -1) and unlabelled
    pixels are void (255). Images without a thing segment are dropped (the
    reference's ``filter_zero_instance_images``).

    Deviation: crowd thing segments (``iscrowd``) are ignore regions
    (mmdet's convention), not instances (the reference ignores the flag).

    Args:
        ann_file (str): The panoptic JSON.
        data_prefix (dict): ``img_path`` = image directory, ``seg_map_path``
            = panoptic PNG directory.
        num_frames (int): Frames per item; 1 (default) loads the image
            once and ``PanopticPseudoClipAffine(num_frames=3)`` makes the
            reference's 3-frame clip.
        categories (str | Sequence[dict], optional): Class table override.
        ignore_category_ids (Sequence[int]): Categories made void.
        layout (str): ``'coco'`` (image = ``img_path/file_name``) or
            ``'cityscapes'``.
        dataset_name (str, optional): ``metainfo['dataset_name']`` (the
            semantic-query block: ``'COCO'``, ``'ADE20K'``, ...).
        check_files (bool): Check every image and PNG exists at build time.
        **kwargs: ``BaseVideoDataset`` arguments.
    """
    METAINFO = dict(classes=None)

    def __init__(self,
                 *args,
                 num_frames: int = 1,
                 categories: Union[str, Sequence[dict], None] = None,
                 ignore_category_ids: Sequence[int] = (),
                 layout: str = 'coco',
                 dataset_name: Optional[str] = None,
                 check_files: bool = False,
                 **kwargs) -> None:
        if num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        if layout not in LAYOUTS:
            raise ValueError(f'layout must be one of {LAYOUTS}, got '
                             f'{layout!r}')
        if isinstance(categories, str):
            if categories not in CATEGORY_PRESETS:
                raise ValueError(f'categories preset {categories!r} unknown; '
                                 f'use {sorted(CATEGORY_PRESETS)} or a list')
            categories = CATEGORY_PRESETS[categories]
        self.num_frames = num_frames
        self.categories = None if categories is None else [
            dict(c) for c in categories]
        self.ignore_category_ids = {int(c) for c in ignore_category_ids}
        self.layout = layout
        self.check_files = check_files
        super().__init__(*args, **kwargs)
        if dataset_name is not None:  # set here: mmengine would warn that a
            # str metainfo value is not a meta file
            self._metainfo['dataset_name'] = dataset_name

    # ------------------------------------------------------------------ load
    def _category_table(self, raw: dict) -> List[dict]:
        table = self.categories
        if table is None:
            if not raw.get('categories'):
                raise DatasetFormatError(
                    f'{self.ann_file}: no "categories"; pass categories=... '
                    '(a list of {id, name, isthing})')
            table = sorted(raw['categories'], key=lambda c: int(c['id']))
        table = [c for c in table if int(c['id']) >= 0]
        for c in table:
            if 'isthing' not in c and 'hasInstances' not in c:
                raise DatasetFormatError(
                    f'{self.ann_file}: category {c.get("id")} has no '
                    '"isthing"; every category must say whether it is a '
                    'thing')
        return table

    def _setup_metainfo(self, table: List[dict]) -> Dict[int, int]:
        cat2label = {int(c['id']): i for i, c in enumerate(table)}
        classes = tuple(c['name'] for c in table)
        things = tuple(i for i, c in enumerate(table)
                       if c.get('isthing', c.get('hasInstances'))
                       and int(c['id']) not in self.ignore_category_ids)
        given = self._metainfo.get('classes')
        if given is not None and len(given) != len(classes):
            raise DatasetFormatError(
                f'{self.ann_file}: metainfo.classes has {len(given)} '
                f'classes but the category table {len(classes)}')
        self._metainfo.update(
            classes=tuple(given) if given is not None else classes,
            thing_ids=things,
            thing_classes=tuple(classes[i] for i in things),
            stuff_classes=tuple(classes[i] for i in range(len(classes))
                                if i not in things),
            ignore_label=IGNORE_LABEL)
        self.thing_labels = things
        self.num_classes = len(classes)
        return cat2label

    def load_data_list(self) -> List[dict]:
        raw = mmengine.load(self.ann_file, file_format='json')
        for key in ('images', 'annotations'):
            if key not in raw:
                raise DatasetFormatError(
                    f'{self.ann_file}: missing top-level key "{key}"; a '
                    'COCO-panoptic file has "images", "annotations" and '
                    '"categories"')
        cat2label = self._setup_metainfo(self._category_table(raw))
        anns = {a['image_id']: a for a in raw['annotations']}
        data, skipped = [], 0
        for img in raw['images']:
            ann = anns.get(img['id'])
            where = f'{self.ann_file}: image {img["id"]} ' \
                f'({img.get("file_name")})'
            if ann is None:
                skipped += 1
                continue
            segs = self._segments(ann, cat2label, where)
            if not any(s['instance_id'] > 0 for s in segs):
                skipped += 1  # the reference drops images without things
                continue
            data.append(self._item(len(data), img, ann, segs, where))
        if skipped:
            print_log(f'{type(self).__name__} ({self.ann_file}): skipped '
                      f'{skipped} image(s) without annotation or thing '
                      'segment', 'current')
        return data

    def _segments(self, ann: dict, cat2label: Dict[int, int],
                  where: str) -> List[dict]:
        out, key = [], 0
        for seg in ann.get('segments_info', []):
            cid = int(seg['category_id'])
            if cid in self.ignore_category_ids:
                continue  # void, as unlabelled pixels
            if cid not in cat2label:
                raise DatasetFormatError(
                    f'{where}: segment {seg.get("id")} has category_id '
                    f'{cid}, not in the category table '
                    f'{sorted(cat2label)}')
            label = cat2label[cid]
            crowd = int(seg.get('iscrowd', 0))
            inst = 0
            if label in self.thing_labels and not crowd:
                key += 1
                inst = key
            out.append(dict(id=int(seg['id']), label=label, iscrowd=crowd,
                            instance_id=inst))
        return out

    def _image_name(self, file_name: str) -> str:
        if self.layout == 'cityscapes':
            file_name = file_name.replace('gtFine_', '')
            return osp.join(file_name.split('_')[0], file_name)
        return file_name

    def _item(self, index: int, img: dict, ann: dict, segs: List[dict],
              where: str) -> dict:
        img_dir = self.data_prefix.get('img_path', '') or ''
        seg_dir = self.data_prefix.get('seg_map_path', '') or ''
        img_path = contained_join(img_dir, self._image_name(img['file_name']),
                                  where)
        png = ann.get('file_name') or \
            osp.splitext(img['file_name'])[0] + '.png'
        seg_path = contained_join(seg_dir, png, where)
        if self.check_files:
            for path, what in ((img_path, 'img_path'),
                               (seg_path, 'seg_map_path')):
                if not osp.isfile(path):
                    raise DatasetFormatError(
                        f'{where}: {path} does not exist; check '
                        f'data_prefix.{what}')
        name = osp.splitext(osp.basename(img['file_name']))[0]
        frame = dict(
            img_path=img_path, seg_map_path=seg_path, img_id=img['id'],
            height=img['height'], width=img['width'], instances=[],
            panoptic_format='coco_rgb', segments_info=segs,
            num_classes=self.num_classes, thing_labels=self.thing_labels,
            instance_id_base=(index + 1) << _VIDEO_ID_SHIFT, has_things=True)
        return dict(video_id=index, video_name=name,
                    video_length=self.num_frames, frame=frame)

    # ------------------------------------------------------------ interface
    def get_data_info(self, idx: int) -> dict:
        """The stored image expanded to ``num_frames`` frame infos."""
        return expand_to_clip(super().get_data_info(idx), self.num_frames)

    def filter_data(self) -> List[dict]:
        """Images without things are dropped while loading."""
        return self.data_list

    def get_cat_ids(self, index) -> List[int]:
        return []  # segments are read from the PNGs in the pipeline
