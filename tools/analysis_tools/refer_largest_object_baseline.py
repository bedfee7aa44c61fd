# Copyright (c) mmvidseg contributors. All rights reserved.
"""Score the "largest object" baseline of a referring dataset.

For every expression the baseline ignores the sentence and predicts the
ground-truth masks of the object with the largest total area over the
sample's frames (an oracle for masks, a guess for the referent). It is
scored by the evaluators of the config (e.g. ``ReferJFMetric`` J&F and
``ReferMetric`` mAP / overall IoU), on the config's test dataset, so a
model's numbers can be compared with it directly.

Example::

    python tools/analysis_tools/refer_largest_object_baseline.py \
        configs/mttr/mttr_swin-t-tiny_1xb4-2000i_toy-ref-youtube-vos.py
"""
import argparse
import copy
import json
from typing import Dict, List

import numpy as np
from mmengine.config import Config

from mmvidseg.registry import DATASETS, METRICS
from mmvidseg.structures.masks import decode_rle
from mmvidseg.utils import register_all_modules


def largest_object_sample(item: dict) -> dict:
    """A data-sample dict whose prediction is the largest object's masks and
    whose ground truth is the referred object's masks."""
    frames = item['images']
    area: Dict[int, int] = {}
    for frame in frames:
        for inst in frame['instances']:
            m = decode_rle(inst['mask'])
            area[inst['instance_id']] = area.get(inst['instance_id'], 0) + \
                int(m.sum())
    largest = max(area, key=area.get) if area else None
    out = []
    for frame in frames:
        h, w = frame['height'], frame['width']
        masks = {i['instance_id']: decode_rle(i['mask']).astype(bool)
                 for i in frame['instances']}
        ref = frame['referred_instance_id']
        pred = masks.get(largest)
        gt = masks.get(ref)
        out.append(dict(
            video_id=frame['video_id'], exp_id=frame['exp_id'],
            frame_id=frame['frame_id'], ori_shape=(h, w),
            img_path=frame.get('img_path'),
            pred_track_instances=dict(
                masks=(pred[None] if pred is not None else
                       np.zeros((0, h, w), bool)),
                scores=np.ones(1 if pred is not None else 0),
                instances_id=np.array([largest] if pred is not None else
                                      [], np.int64)),
            gt_instances=dict(masks=(gt[None] if gt is not None else
                                     np.zeros((0, h, w), bool)))))
    return dict(video_data_samples=out)


def evaluate(cfg: Config) -> Dict[str, float]:
    """Baseline numbers with the config's test evaluators."""
    ds_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    ds_cfg.update(pipeline=[], referred_only=False, test_mode=True)
    dataset = DATASETS.build(ds_cfg)
    evaluators = cfg.test_evaluator
    evaluators = evaluators if isinstance(evaluators, list) else [evaluators]
    metrics = []
    for ev in evaluators:
        ev = copy.deepcopy(ev)
        if 'outfile_prefix' in ev:
            ev['outfile_prefix'] = None
        metrics.append(METRICS.build(ev))
    samples: List[dict] = [
        largest_object_sample(dataset.load_annotations(
            dataset.get_data_info(i))) for i in range(len(dataset))
    ]
    results = {}
    for metric in metrics:
        metric.process({}, samples)
        results.update(metric.evaluate(len(samples)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    args = parser.parse_args()
    register_all_modules()
    print(json.dumps(evaluate(Config.fromfile(args.config)), indent=1))


if __name__ == '__main__':
    main()
