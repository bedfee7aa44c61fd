# Copyright (c) mmvidseg contributors. All rights reserved.
"""Segment the object each sentence describes, across a video (MTTR).

    python demo/referring_demo.py VIDEO "a sentence" ["another" ...] \
        CONFIG CHECKPOINT --out out.mp4 [--max-frames 36] [--window 12]

VIDEO is a video file or a folder of frames. Each sentence is one forward
pass over the video (the official model takes one expression at a time);
its referred object is drawn in its own colour with the sentence as label,
and the frames are written to ``--out`` (.mp4 or .gif).
"""
import argparse
import time

import numpy as np

from mmvidseg.apis import inference_video, init_model, read_video
from mmvidseg.visualization import draw_frame, write_video


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('video')
    parser.add_argument('sentences', nargs='+')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True)
    parser.add_argument('--max-frames', type=int)
    parser.add_argument('--window', type=int,
                        help='frames per inference window (long videos)')
    parser.add_argument('--fps', type=float, default=6.0)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--overwrite', action='store_true')
    args = parser.parse_args()

    model = init_model(args.config, args.checkpoint, args.device)
    model.test_cfg.update(mode='rvos', window=args.window)
    frames = read_video(args.video, args.max_frames)
    h, w = frames[0].shape[:2]
    masks = np.zeros((len(args.sentences), len(frames), h, w), bool)
    start = time.perf_counter()
    for k, sentence in enumerate(args.sentences):
        for t, pred in enumerate(inference_video(model, frames,
                                                 text=sentence)):
            inst = pred.pred_track_instances.cpu()
            if len(inst):
                masks[k, t] = inst.masks[0].numpy()
    took = time.perf_counter() - start
    names = [s[:40] for s in args.sentences]
    drawn = [
        draw_frame(frame, masks[:, t], track_ids=list(range(len(names))),
                   labels=list(range(len(names))), class_names=names,
                   frame_text=f'frame {t}')
        for t, frame in enumerate(frames)
    ]
    write_video(drawn, args.out, fps=args.fps, overwrite=args.overwrite)
    print(f'{len(args.sentences)} sentence(s) x {len(frames)} frames of '
          f'{w}x{h} in {took:.1f} s; wrote {args.out}')


if __name__ == '__main__':
    main()
