# Copyright (c) mmvidseg contributors. All rights reserved.
"""COCO-style segmentation results: a JSON list of ``{image_id,
category_id, segmentation: RLE, score}``, as scored by pycocotools
``COCOeval`` (A2D-Sentences / JHMDB-Sentences, MTTR ``trainer.py``;
COCO-Videos instance AP, one file per video)."""
from typing import Dict, Optional, Tuple, Union

from .common import check_rles, check_score, load_json_file
from .errors import Problems

KEYS = ('image_id', 'category_id', 'segmentation', 'score')


def coco_images(gt: dict) -> Dict[object, Tuple[int, int]]:
    """``image_id -> (h, w)`` of a COCO ground-truth dict."""
    return {img['id']: (img['height'], img['width'])
            for img in gt.get('images', [])}


def validate_coco_segm_results(results: Union[list, str],
                               images: Dict[object, Tuple[int, int]],
                               problems: Optional[Problems] = None,
                               source: str = 'results.json',
                               category_ids=None) -> Optional[list]:
    """Check a COCO segmentation results list against the GT images.

    Args:
        results (list | str): The list or its JSON path.
        images (dict): ``image_id -> (h, w)`` of the ground truth.
        problems (Problems, optional): Collector (default: raise).
        source (str): File named in messages when ``results`` is a list.
        category_ids (Iterable[int], optional): Allowed category ids.

    Returns:
        list | None: The results, None if unreadable.
    """
    problems = problems or Problems()
    if isinstance(results, str):
        source = results
        results = load_json_file(results, problems, 'results JSON')
        if results is None:
            return None
    if not isinstance(results, list):
        problems.error(source, '', '', f'holds a {type(results).__name__}, '
                       'not a list of {image_id, category_id, segmentation, '
                       'score}', 'json.dump the list of predictions')
        return None
    cats = set(category_ids or [])
    by_size: Dict[Tuple[int, int], list] = {}
    for i, res in enumerate(results):
        if not isinstance(res, dict):
            problems.error(source, f'[{i}]', '', f'is a '
                           f'{type(res).__name__}, not a dict',
                           'write one dict per prediction')
            continue
        missing = [k for k in KEYS if k not in res]
        if missing:
            problems.error(source, f'[{i}]', missing[0], 'is missing',
                           f'every prediction needs {", ".join(KEYS)}')
            continue
        image_id = res['image_id']
        where = f'[{i}] (image_id {image_id!r})'
        if image_id not in images:
            problems.error(source, where, 'image_id', 'is not an image of '
                           'the ground truth', 'use the ids of the '
                           'ground-truth "images" (A2D: v_<video>_f_<frame>'
                           '_i_<instance>)')
            continue
        if cats and res['category_id'] not in cats:
            problems.error(source, where, 'category_id',
                           f'{res["category_id"]!r} is not one of '
                           f'{sorted(cats)[:5]}', 'use the ground-truth '
                           'category ids')
            continue
        if not check_score(res['score'], source, where, problems):
            continue
        by_size.setdefault(images[image_id], []).append(
            (res['segmentation'], where))
    for size, items in by_size.items():
        check_rles([s for s, _ in items], size, source,
                   lambda j, items=items: items[j][1], problems)
    problems.count('predictions', len(results))
    return results
