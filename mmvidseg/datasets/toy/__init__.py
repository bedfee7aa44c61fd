# Copyright (c) mmvidseg contributors. All rights reserved.
"""The embedded toy video dataset, written in the official benchmark formats.

A deterministic generator of small synthetic videos: flat-coloured squares,
circles and triangles (the 3 *thing* classes) move, grow / shrink, rotate,
occlude each other, enter and leave the frame, over noise-textured
backgrounds split into sky / wall / ground bands (the 3 *stuff* classes).
Each object has a dataset-wide identity and referring expressions such as
``'the red square moving left'`` that single it out in its video. The same
videos are written in the official layout of several benchmarks, so every
dataset class, evaluator and submission writer runs on the code paths that
serve the real data::

    python tools/dataset_converters/make_toy_dataset.py --out data/toy

or ``generate_toy_dataset('data/toy', preset='default', seed=0)``.

Layout under the root (``data/toy``)::

    toy_dataset.json            stamp: preset, seed, version, formats, paths
    youtube_vis/                YouTube-VIS 2019 (fixed, see ytvis.py)
      {train,valid}/JPEGImages/<video>/<%05d>.jpg
      train.json  valid.json (no annotations)  valid_gt.json (held-out GT)
    davis/DAVIS/                DAVIS-2017 semi-supervised + unsupervised
      JPEGImages/480p/<seq>/  Annotations/480p/<seq>/
      Annotations_unsupervised/480p/<seq>/  ImageSets/2017/{train,val}.txt
    kitti_step/                 images/{train,val}/<seq>/<%06d>.png,
                                panoptic_maps/{train,val}/<seq>/<%06d>.png
    vipseg/VIPSeg_720P/         images/ panomasks/ panomasksRGB/
                                panoptic_gt_VIPSeg_{train,val}.json,
                                panoVIPSeg_categories.json, {train,val}.txt
    kitti_mots/                 training/image_02/<seq>/, instances_txt/,
                                instances/, {train,val}.seqmap
    burst/                      frames/{train,val}/TOY/<video>/,
                                annotations/{train,val,info}/
    ref_youtube_vos/            {train,valid}/JPEGImages/, train/Annotations/,
                                train/meta.json,
                                meta_expressions/{train,valid}/, valid_gt/

Videos are named ``train_0000 ...`` / ``valid_0000 ...``; KITTI sequences
are numbered ``0000 ...`` over train then valid. Within a video every
format uses the same object numbering ``local_id`` = 1..K (the order of the
video's YouTube-VIS annotations): DAVIS / Ref-YTVOS palette index, KITTI-STEP
instance id, KITTI-MOTS ``class * 1000 + local_id``, BURST track id. The
YouTube-VIS annotation id is the dataset-wide ``instance_id`` (from 1).
Class ids and label sets per format: :mod:`.metainfo`. Presets:
``TOY_PRESETS`` (``default``: 60 / 20 videos, 8 frames, 96x96, 1-3 objects,
same-class objects may share a video; ``distinct``: classes distinct within
a video; ``tiny``: 4 / 2 videos, 5 frames, 64x64, for unit tests).

Safety: a root whose stamp matches (preset, seed, version) is reused (only
missing formats are written); another stamp or unknown files raise
``FileExistsError`` unless ``force=True``. Deviations from the real data
(frame sizes, 1-in-5 frame sampling, class sets) are listed in each writer
module.
"""
from .config import TOY_PRESETS, TOY_VERSION, ToyDatasetConfig, get_preset
from .generate import STAMP_FILE, TOY_FORMATS, generate_toy_dataset
from .metainfo import (BURST_CATEGORIES, CLASS_COLOURS, DAVIS_PALETTE, KITTI_MOTS_CLASSES,
                       KITTI_STEP_CLASSES, KITTI_STEP_METAINFO,
                       KITTI_STEP_THING_IDS, OBJECT_COLOURS,
                       PANOPTIC_CLASSES, STUFF_CLASSES, THING_CLASSES,
                       VIPSEG_CATEGORIES, VIPSEG_METAINFO, YTVIS_CATEGORIES,
                       YTVIS_METAINFO, davis_palette)
from .scene import render_dataset, render_video
from .video import ToyObject, ToyVideo

__all__ = [
    'generate_toy_dataset', 'TOY_PRESETS', 'TOY_VERSION', 'TOY_FORMATS',
    'STAMP_FILE', 'ToyDatasetConfig', 'get_preset', 'ToyObject', 'ToyVideo',
    'render_dataset', 'render_video', 'THING_CLASSES', 'STUFF_CLASSES',
    'PANOPTIC_CLASSES', 'OBJECT_COLOURS', 'CLASS_COLOURS', 'YTVIS_CATEGORIES',
    'YTVIS_METAINFO', 'DAVIS_PALETTE', 'davis_palette', 'KITTI_STEP_CLASSES',
    'KITTI_STEP_THING_IDS', 'KITTI_STEP_METAINFO', 'VIPSEG_CATEGORIES',
    'VIPSEG_METAINFO', 'KITTI_MOTS_CLASSES', 'BURST_CATEGORIES'
]
