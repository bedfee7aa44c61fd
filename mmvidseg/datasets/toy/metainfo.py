# Copyright (c) mmvidseg contributors. All rights reserved.
"""Class names, label ids and palettes of the toy dataset, per format.

Everything other code needs to read the toy data (dataset ``metainfo``,
evaluator settings) is importable from here, so no number is repeated in
configs. Thing classes carry identities; stuff classes are background
regions used by the panoptic formats.

============  ==========  ==========  ===========  ==========  ==========
class         YTVIS/BURST  KITTI-MOTS  panoptic id  VIPSeg raw  kind
============  ==========  ==========  ===========  ==========  ==========
sky           -           -           0            1           stuff
wall          -           -           1            2           stuff
ground        -           -           2            3           stuff
square        1           1           3            400 + k     thing
circle        2           2           4            500 + k     thing
triangle      3           3           5            600 + k     thing
============  ==========  ==========  ===========  ==========  ==========

"panoptic id" is the semantic id of KITTI-STEP's R channel and the
``category_id`` of the VIPSeg JSON (0-based); VIPSeg raw masks store
``category_id + 1`` for stuff and ``(category_id + 1) * 100 + k`` for the
k-th thing of that class in a video (k from 0, as the official data).
"""
from typing import Dict, List, Tuple

THING_CLASSES: Tuple[str, ...] = ('square', 'circle', 'triangle')
STUFF_CLASSES: Tuple[str, ...] = ('sky', 'wall', 'ground')

# Object colours (RGB). Referring expressions name them; a video never holds
# two objects of one colour, so "the <colour> <class>" is always unique.
OBJECT_COLOURS: Dict[str, Tuple[int, int, int]] = {
    'red': (220, 30, 30),
    'green': (30, 190, 50),
    'blue': (35, 60, 225),
    'yellow': (240, 220, 30),
    'purple': (150, 40, 200),
    'orange': (250, 140, 20),
    'cyan': (30, 220, 230),
    'white': (250, 250, 250),
    'pink': (240, 100, 170),
}

# Each thing class draws its objects' colours from its own family first (as
# real categories have typical appearances), so a tiny model learns the
# classes on 2 CPU cores in minutes; objects of one class still look alike,
# which is what makes same-class tracks hard to keep apart. A video never
# repeats a colour: when a family runs out, any unused colour is taken.
CLASS_COLOURS: Dict[str, Tuple[str, ...]] = {
    'square': ('red', 'orange', 'yellow'),
    'circle': ('green', 'cyan', 'white'),
    'triangle': ('blue', 'purple', 'pink'),
}

# Mean RGB of the stuff textures (desaturated, so objects stand out).
STUFF_COLOURS: Dict[str, Tuple[int, int, int]] = {
    'sky': (150, 180, 205),
    'wall': (135, 115, 100),
    'ground': (95, 105, 70),
}

# Thing class palette for visualisation (YTVIS-style metainfo).
THING_PALETTE: List[Tuple[int, int, int]] = [
    (220, 20, 60), (0, 130, 200), (60, 180, 75)]

# ---------------------------------------------------------------- YouTube-VIS
YTVIS_CATEGORIES: List[dict] = [
    dict(id=i + 1, name=name, supercategory='shape')
    for i, name in enumerate(THING_CLASSES)
]
# ``metainfo=`` for YouTubeVISDataset (which otherwise forces the 40 classes).
YTVIS_METAINFO = dict(classes=THING_CLASSES, palette=THING_PALETTE)

# ----------------------------------------------------------------- panoptic
PANOPTIC_CLASSES: Tuple[str, ...] = STUFF_CLASSES + THING_CLASSES
PANOPTIC_THING_IDS: Tuple[int, ...] = tuple(
    range(len(STUFF_CLASSES), len(PANOPTIC_CLASSES)))
PANOPTIC_STUFF_IDS: Tuple[int, ...] = tuple(range(len(STUFF_CLASSES)))
PANOPTIC_PALETTE: List[Tuple[int, int, int]] = (
    [STUFF_COLOURS[n] for n in STUFF_CLASSES] + THING_PALETTE)
IGNORE_LABEL = 255

# KITTI-STEP: R = semantic id (PANOPTIC_CLASSES order), G * 256 + B = the
# object's id within its sequence (1..K), 0 on stuff. STQ settings:
KITTI_STEP_CLASSES = PANOPTIC_CLASSES
KITTI_STEP_THING_IDS = PANOPTIC_THING_IDS
KITTI_STEP_METAINFO = dict(
    classes=KITTI_STEP_CLASSES,
    thing_ids=KITTI_STEP_THING_IDS,
    ignore_label=IGNORE_LABEL,
    palette=PANOPTIC_PALETTE)

# VIPSeg: ``panoVIPSeg_categories.json`` of the toy data.
VIPSEG_CATEGORIES: List[dict] = [
    dict(
        id=i,
        name=name,
        isthing=int(name in THING_CLASSES),
        color=list(PANOPTIC_PALETTE[i]))
    for i, name in enumerate(PANOPTIC_CLASSES)
]
VIPSEG_METAINFO = dict(
    classes=PANOPTIC_CLASSES,
    thing_ids=PANOPTIC_THING_IDS,
    palette=PANOPTIC_PALETTE)

# ---------------------------------------------------------------- KITTI-MOTS
# Class ids of the txt / PNG files (the official ones are 1 car,
# 2 pedestrian, 10 ignore); obj_id = class_id * 1000 + object id (1..K).
KITTI_MOTS_CLASSES: Dict[int, str] = {
    i + 1: name
    for i, name in enumerate(THING_CLASSES)
}
KITTI_MOTS_IGNORE_CLASS = 10

# --------------------------------------------------------------------- BURST
BURST_DATASET_NAME = 'TOY'
BURST_CATEGORIES: List[dict] = [
    dict(
        id=i + 1,
        name=name,
        synset=f'{name}.n.01',
        synonyms=[name],
        **{'def': f'a {name} drawn in one flat colour'})
    for i, name in enumerate(THING_CLASSES)
]


def davis_palette() -> List[int]:
    """The DAVIS / PASCAL-VOC palette, flat ``[r0, g0, b0, r1, ...]``.

    Index ``i`` gets the colour whose bits interleave the bits of ``i``
    (object 1 dark red, 2 dark green, 3 olive, ...), as the DAVIS
    annotation PNGs and Ref-YouTube-VOS masks use.
    """
    palette = []
    for index in range(256):
        rgb = [0, 0, 0]
        code = index
        for bit in range(8):
            for channel in range(3):
                rgb[channel] |= ((code >> channel) & 1) << (7 - bit)
            code >>= 3
        palette += rgb
    return palette


DAVIS_PALETTE: List[int] = davis_palette()
DAVIS_VOID_ID = 255
