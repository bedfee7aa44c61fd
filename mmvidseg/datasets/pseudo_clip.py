# Copyright (c) mmvidseg contributors. All rights reserved.
"""Image instance datasets served as clips of one repeated image.

Reads COCO-format instance files (``instances_train2017.json``) and
STEm-Seg's generic image JSON (``coco.json``, ``pascal_voc.json``,
``mapillary.json``; ``sabarim/STEm-Seg:
stemseg/data/generic_image_dataset_parser.py``)::

    {"meta": {"category_labels": {"<cat_id>": name}},
     "images": [{"image_path", "height", "width",
                 "categories": [cat_id per instance],
                 "segmentations": ["<RLE counts>" per instance],
                 "ignore": "<RLE counts>" | null}]}
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

from .base_video_dataset import BaseVideoDataset
from ._paths import contained_join
from mmvidseg.registry import DATASETS
from mmvidseg.structures.masks import rle_area, rle_bbox
from ._instance_utils import DatasetFormatError

ANN_FORMATS = ('auto', 'coco', 'stemseg')
CROWD_MODES = ('ignore', 'drop')


def read_coco_images(raw: dict, path: str) -> tuple:
    """COCO instances file -> ({cat_id: name}, [image record]).

    A record is ``{image_id, file_name, height, width, anns: [{cat, mask,
    crowd, area, where}], ignore: None}``.
    """
    for key in ('images', 'annotations', 'categories'):
        if key not in raw:
            raise DatasetFormatError(
                f'{path}: missing top-level key "{key}"; a COCO instances '
                'file has "images", "annotations" and "categories"')
    names = {int(c['id']): c['name'] for c in raw['categories']}
    images = {}
    for img in raw['images']:
        for key in ('id', 'file_name', 'height', 'width'):
            if key not in img:
                raise DatasetFormatError(
                    f'{path}: image {img.get("id", "?")} misses "{key}"')
        images[img['id']] = dict(image_id=img['id'],
                                 file_name=img['file_name'],
                                 height=img['height'], width=img['width'],
                                 anns=[], ignore=None)
    for ann in raw['annotations']:
        where = f'{path}: annotation {ann.get("id", "?")}'
        if ann.get('image_id') not in images:
            raise DatasetFormatError(f'{where}: image_id '
                                     f'{ann.get("image_id")} is not in '
                                     '"images"')
        if ann.get('category_id') not in names:
            raise DatasetFormatError(
                f'{where}: category_id {ann.get("category_id")} is not in '
                f'"categories" {sorted(names)}')
        if not ann.get('segmentation'):
            continue  # box-only annotation: nothing to segment
        rec = images[ann['image_id']]
        area = ann.get('area')
        if area is None:
            area = float(rle_area(ann['segmentation'], rec['height'],
                                  rec['width']))
        rec['anns'].append(dict(cat=ann['category_id'],
                                mask=ann['segmentation'],
                                crowd=bool(ann.get('iscrowd', 0)),
                                area=float(area), where=where))
    return names, list(images.values())


def read_stemseg_images(raw: dict, path: str) -> tuple:
    """STEm-Seg generic image JSON -> ({cat_id: name}, [image record])."""
    labels = raw.get('meta', {}).get('category_labels')
    if not isinstance(labels, dict) or 'images' not in raw:
        raise DatasetFormatError(
            f'{path}: a STEm-Seg image JSON has "meta" (with a '
            '"category_labels" dict) and "images"')
    names = {int(k): v for k, v in labels.items()}
    records = []
    for i, img in enumerate(raw['images']):
        where = f'{path}: image {i} ({img.get("image_path", "?")})'
        for key in ('image_path', 'height', 'width', 'categories',
                    'segmentations'):
            if key not in img:
                raise DatasetFormatError(f'{where}: missing field "{key}"')
        cats, segs = img['categories'], img['segmentations']
        if len(cats) != len(segs):
            raise DatasetFormatError(
                f'{where}: {len(cats)} "categories" but {len(segs)} '
                '"segmentations"')
        h, w = img['height'], img['width']
        anns = []
        for k, (cat, counts) in enumerate(zip(cats, segs)):
            if int(cat) not in names:
                raise DatasetFormatError(
                    f'{where}: instance {k} has category {cat}, not in '
                    f'meta.category_labels {sorted(names)}')
            mask = dict(size=[h, w], counts=counts)
            anns.append(dict(cat=int(cat), mask=mask, crowd=False,
                             area=float(rle_area(mask, h, w)),
                             where=f'{where} instance {k}'))
        ignore = img.get('ignore')
        records.append(dict(
            image_id=i, file_name=img['image_path'], height=h, width=w,
            anns=anns,
            ignore=None if not ignore else dict(size=[h, w], counts=ignore)))
    return names, records


def expand_to_clip(info: dict, num_frames: int) -> dict:
    """Replace a pseudo-clip item's ``frame`` by ``images``: the one
    image's frame info repeated ``num_frames`` times (frame ids 0..T-1)."""
    frame = info.pop('frame')
    info['images'] = [
        dict(frame, frame_id=t, video_id=info['video_id'],
             video_name=info['video_name']) for t in range(num_frames)
    ]
    return info


@DATASETS.register_module()
class ImagePseudoClipDataset(BaseVideoDataset):
    """An image instance dataset whose items are clips of one image.

    Re-implements the data side of ``CocoDataLoader``,
    ``PascalVOCDataLoader`` and ``MapillaryDataLoader``
    (``sabarim/STEm-Seg: stemseg/data/{coco,pascal_voc,mapillary}
    _data_loader.py``; STEm-Seg, Athar et al., ECCV 2020). Items have the
    video datasets' layout (``{video_id, video_name, video_length, images:
    [frame info]}``, see :mod:`._instance_utils`) with the image repeated as
    ``num_frames`` frames, so a video pipeline runs unchanged (masks are
    kept as stored: polygons or RLE, decoded by ``LoadTrackAnnotations``);
    add
    :class:`~mmvidseg.datasets.transforms.PseudoClipAugment` after loading
    to turn the copies into a moving clip.

    Instance selection, in the reference's order: instances smaller than
    ``min_instance_area`` pixels are dropped (VOC 50, Mapillary 30);
    categories in ``category_map`` are kept, those in
    ``ignore_category_ids`` become ignore regions (Mapillary riders /
    vehicles), all others are dropped; images without a kept instance are
    dropped. With ``max_instances`` (Mapillary 30) instances are sorted by
    area (largest first) and those beyond the limit become ignore regions.
    The STEm-Seg JSON's image-level ``"ignore"`` mask (VOC) is an ignore
    region. COCO ``iscrowd`` annotations become ignore regions
    (``crowd='ignore'``, mmdet's convention) or are dropped
    (``crowd='drop'``); the reference's own ``coco.json`` has no crowd flag
    and its COCO loader never has ignore pixels (deviation: crowd regions
    are not learnt as objects or as background by default).

    Args:
        ann_file (str): COCO-format or STEm-Seg image JSON.
        data_prefix (dict): ``img_path`` = the image directory
            (``file_name`` / ``image_path`` are relative to it).
        num_frames (int): Frames per item (``INPUT.NUM_FRAMES``, 8).
        ann_format (str): ``'coco'``, ``'stemseg'`` or ``'auto'`` (by the
            file's top-level keys).
        category_map (dict, optional): Source category id -> target label
            (0-based ``bbox_label`` of the target dataset, e.g. YouTube-VIS
            id - 1). None keeps every category, labels in id order.
        class_agnostic (bool): All kept categories -> label 0
            (``'object'``), as ``category_agnostic=True`` (DAVIS).
        ignore_category_ids (Sequence[int]): Categories that become ignore
            regions.
        min_instance_area (float): Drop smaller instances (pixels).
        max_instances (int, optional): Keep at most this many instances
            (largest first); the rest become ignore regions.
        crowd (str): ``'ignore'`` or ``'drop'`` for COCO crowd annotations.
        check_files (bool): Check that every image exists at build time.
        **kwargs: ``BaseVideoDataset`` arguments (``metainfo=dict(classes=
            ...)`` names the target classes).
    """
    METAINFO = dict(classes=None)

    def __init__(self,
                 *args,
                 num_frames: int = 8,
                 ann_format: str = 'auto',
                 category_map: Optional[Dict[int, int]] = None,
                 class_agnostic: bool = False,
                 ignore_category_ids: Sequence[int] = (),
                 min_instance_area: float = 0,
                 max_instances: Optional[int] = None,
                 crowd: str = 'ignore',
                 check_files: bool = True,
                 **kwargs) -> None:
        if ann_format not in ANN_FORMATS:
            raise ValueError(f'ann_format must be one of {ANN_FORMATS}, got '
                             f'{ann_format!r}')
        if crowd not in CROWD_MODES:
            raise ValueError(f'crowd must be one of {CROWD_MODES}, got '
                             f'{crowd!r}')
        if num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        self.num_frames = num_frames
        self.ann_format = ann_format
        self.category_map = None if category_map is None else {
            int(k): int(v) for k, v in category_map.items()}
        self.class_agnostic = class_agnostic
        self.ignore_category_ids = {int(c) for c in ignore_category_ids}
        self.min_instance_area = min_instance_area
        self.max_instances = max_instances
        self.crowd = crowd
        self.check_files = check_files
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        if class_agnostic and metainfo.get('classes') is None:
            metainfo['classes'] = ('object', )  # known before lazy loading
        super().__init__(*args, metainfo=metainfo, **kwargs)

    # ------------------------------------------------------------------ load
    def load_data_list(self) -> List[dict]:
        try:
            with open(self.ann_file) as f:
                raw = json.load(f)
        except json.JSONDecodeError as e:
            raise DatasetFormatError(
                f'{self.ann_file}: not a valid JSON file ({e})') from None
        fmt = self.ann_format
        if fmt == 'auto':
            fmt = 'stemseg' if 'meta' in raw else 'coco'
        reader = read_stemseg_images if fmt == 'stemseg' else \
            read_coco_images
        names, records = reader(raw, self.ann_file)
        self.cat2label = self._cat2label(names)
        data_list, next_id = [], 1
        for rec in records:
            instances = self._instances(rec)
            if not any(i['ignore_flag'] == 0 for i in instances):
                continue  # the reference drops images without an instance
            for inst in instances:
                inst['instance_id'] = next_id
                next_id += 1
            data_list.append(self._item(rec, len(data_list), instances))
        return data_list

    def _cat2label(self, names: Dict[int, str]) -> Dict[int, int]:
        """Source category id -> label; sets ``classes`` if not given."""
        classes = self._metainfo.get('classes')
        if self.category_map is None:
            cats = [c for c in sorted(names)
                    if c not in self.ignore_category_ids]
            cat2label = {c: i for i, c in enumerate(cats)}
            default = tuple(names[c] for c in cats)
        else:
            unknown = sorted(set(self.category_map) - set(names))
            if unknown:
                raise DatasetFormatError(
                    f'{self.ann_file}: category_map has category ids '
                    f'{unknown} that the file does not define (its ids: '
                    f'{sorted(names)}); fix the category_map keys')
            cat2label = dict(self.category_map)
            default = None
        if self.class_agnostic:
            cat2label = {c: 0 for c in cat2label}
            default = ('object', )
        if classes is None:
            self._metainfo['classes'] = default
        elif cat2label and max(cat2label.values()) >= len(classes):
            raise DatasetFormatError(
                f'{self.ann_file}: category_map maps to label '
                f'{max(cat2label.values())} but metainfo.classes has '
                f'{len(classes)} classes; labels are 0-based indices into '
                'the target classes')
        if any(v < 0 for v in cat2label.values()):
            raise DatasetFormatError(f'{self.ann_file}: category_map labels '
                                     'must be >= 0')
        return cat2label

    def _instances(self, rec: dict) -> List[dict]:
        """Instances of one image record: ``bbox, bbox_label, mask,
        ignore_flag`` (``instance_id`` is set by the caller)."""
        h, w = rec['height'], rec['width']
        picked = []  # (area, label or None for ignore, mask)
        for ann in rec['anns']:
            if ann['area'] < self.min_instance_area:
                continue
            if ann['crowd']:
                if self.crowd == 'ignore':
                    picked.append((ann['area'], None, ann['mask']))
            elif ann['cat'] in self.cat2label:
                picked.append((ann['area'], self.cat2label[ann['cat']],
                               ann['mask']))
            elif ann['cat'] in self.ignore_category_ids:
                picked.append((ann['area'], None, ann['mask']))
        if self.max_instances is not None and \
                any(lab is not None for _, lab, _ in picked):
            picked.sort(key=lambda p: -p[0])
            picked = [(a, lab if k < self.max_instances else None, m)
                      for k, (a, lab, m) in enumerate(picked)]
        if rec['ignore'] is not None:
            picked.append((0.0, None, rec['ignore']))
        instances = []
        for _, label, mask in picked:
            box = rle_bbox(mask, h, w)
            if box is None:
                continue
            instances.append(dict(bbox=box,
                                  bbox_label=-1 if label is None else label,
                                  mask=mask, ignore_flag=int(label is None)))
        return instances

    def _item(self, rec: dict, vid: int, instances: List[dict]) -> dict:
        prefix = self.data_prefix.get('img_path', '') or ''
        img_path = contained_join(prefix, rec['file_name'],
                                  f'{self.ann_file}: image {rec.get("id")}')
        if self.check_files and not osp.isfile(img_path):
            raise DatasetFormatError(
                f'{self.ann_file}: image {rec["image_id"]} file {img_path} '
                'does not exist; data_prefix.img_path must be the image '
                'directory the file names are relative to')
        frame = dict(img_path=img_path, img_id=rec['image_id'],
                     file_name=rec['file_name'], height=rec['height'],
                     width=rec['width'], instances=instances)
        name = osp.splitext(osp.basename(rec['file_name']))[0]
        return dict(video_id=vid, video_name=name,
                    video_length=self.num_frames, frame=frame)

    # ------------------------------------------------------------ interface
    def get_data_info(self, idx: int) -> dict:
        """The stored image expanded to ``num_frames`` frame infos."""
        return expand_to_clip(super().get_data_info(idx), self.num_frames)

    def filter_data(self) -> List[dict]:
        """Images without instances are dropped while loading."""
        return self.data_list
