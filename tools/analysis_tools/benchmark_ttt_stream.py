# Copyright (c) mmvidseg contributors. All rights reserved.
"""CPU cost per frame and memory of Video-TTT's online loop on a toy stream.

    python tools/analysis_tools/benchmark_ttt_stream.py CONFIG [CHECKPOINT] \
        [--frames 500] [--batch-size 32] [--accum-iter 4] [--out f.json]

Renders a long shifted toy stream in memory (the 4 ``ttt_shift`` videos
played in turn up to ``--frames`` frames; no files), then in one process: (1) plain inference
of every frame (the frozen baseline) and (2) online TTT: per frame one
step over ``--batch-size`` masked copies from the 16-frame window, then the
prediction. Prints the median seconds per frame of each part, the ratio of
(TTT step + prediction) to plain inference, and the resident memory (RSS)
over the stream: mean of the first and last 50 frames and the peak, which
must stay flat (the window is bounded, nothing accumulates).
"""
import argparse
import json
import statistics
import time

import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config, DictAction
from mmengine.runner import load_checkpoint

from mmvidseg.datasets.toy import get_preset, render_video
from mmvidseg.engine.runner import OnlineTTT
from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules
from mmvidseg.utils.memory import current_rss_mb, peak_rss_mb


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?')
    parser.add_argument('--frames', type=int, default=500)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--accum-iter', type=int, default=4)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--out', help='write the numbers as JSON here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def frame_batch(frame_rgb: np.ndarray) -> dict:
    """One packed test input: (3, H, W) uint8 BGR + its data sample."""
    img = torch.from_numpy(frame_rgb[..., ::-1].copy()).permute(2, 0, 1)
    h, w = frame_rgb.shape[:2]
    sample = DetDataSample(metainfo=dict(
        ori_shape=(h, w), img_shape=(h, w), scale_factor=(1.0, 1.0)))
    return dict(inputs=[img], data_samples=[sample])


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = MODELS.build(cfg.model)
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    model.eval()
    # toy objects grow / drift without bound over hundreds of frames: the
    # long stream plays the 4 shifted ttt_shift videos in turn, repeatedly
    cfg_toy = get_preset('ttt_shift')
    clips = [render_video(cfg_toy, 0, 'valid', i).frames
             for i in range(cfg_toy.num_val_videos)]
    frames = np.concatenate(clips * (args.frames // sum(map(len, clips)) +
                                     1))[:args.frames]  # (N, H, W, 3)
    ttt_cfg = dict(cfg.test_cfg.get('ttt', {}))
    ttt_cfg.update(batch_size=args.batch_size, accum_iter=args.accum_iter)

    plain = []
    for frame in frames:
        t0 = time.perf_counter()
        with torch.no_grad():
            model.test_step(frame_batch(frame))
        plain.append(time.perf_counter() - t0)

    ttt = OnlineTTT(model, mode='online', **ttt_cfg)
    ttt.start_video('benchmark')
    steps, preds, rss = [], [], []
    for t, frame in enumerate(frames):
        batch = frame_batch(frame)
        ttt.push(batch['inputs'][0], t)
        steps.append(ttt.step()['ttt_time_s'])
        t0 = time.perf_counter()
        ttt.predict(batch)
        preds.append(time.perf_counter() - t0)
        rss.append(current_rss_mb())
    med = statistics.median
    k = min(50, len(rss))
    out = dict(
        frames=args.frames, size=list(frames.shape[1:3]),
        batch_size=args.batch_size, accum_iter=args.accum_iter,
        threads=args.threads,
        plain_inference_s=med(plain), ttt_step_s=med(steps),
        ttt_predict_s=med(preds),
        ttt_total_over_plain=(med(steps) + med(preds)) / med(plain),
        rss_first_mb=float(np.mean(rss[:k])),
        rss_last_mb=float(np.mean(rss[-k:])), peak_rss_mb=peak_rss_mb())
    print(json.dumps(out, indent=1))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(out, rss_per_frame_mb=rss), f)


if __name__ == '__main__':
    main()
