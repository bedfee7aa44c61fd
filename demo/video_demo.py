# Copyright (c) mmvidseg contributors. All rights reserved.
"""Segment and track the objects of a video, and render them.

    python demo/video_demo.py VIDEO CONFIG CHECKPOINT --out out.mp4 \
        [--max-frames 36] [--score-thr 0.3]

VIDEO is a video file or a folder of frames. The predicted tracks (masks,
track ids, classes, scores) are drawn on the frames and written to ``--out``
(.mp4 or .gif).
"""
import argparse
import time

from mmvidseg.apis import inference_video, init_model, read_video
from mmvidseg.utils.file_safety import add_force_argument
from mmvidseg.visualization import VideoVisualizer, write_video


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('video')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True)
    parser.add_argument('--max-frames', type=int)
    parser.add_argument('--score-thr', type=float, default=0.3)
    parser.add_argument('--fps', type=float, default=6.0)
    parser.add_argument('--device', default='cpu')
    add_force_argument(parser)
    args = parser.parse_args()

    model = init_model(args.config, args.checkpoint, args.device)
    frames = read_video(args.video, args.max_frames)
    start = time.perf_counter()
    preds = inference_video(model, frames)
    took = time.perf_counter() - start
    classes = model.dataset_meta.get('classes')
    vis = VideoVisualizer(classes, score_thr=args.score_thr)
    drawn = vis.draw_video(frames, [p.pred_track_instances.cpu() for p in preds])
    write_video(drawn, args.out, fps=args.fps, overwrite=args.force)
    print(f'{len(frames)} frames of {frames[0].shape[1]}x{frames[0].shape[0]}'
          f' in {took:.1f} s ({len(frames) / took:.1f} frames/s); '
          f'wrote {args.out}')


if __name__ == '__main__':
    main()
