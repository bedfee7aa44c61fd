# Copyright (c) mmvidseg contributors. All rights reserved.
"""Segment and track the objects of a video with bounded memory; render.

    python demo/video_demo.py VIDEO CONFIG CHECKPOINT --out out.mp4 \\
        [--max-frames 36] [--score-thr 0.3] [--window 8 --overlap 2] \\
        [--results tracks.json] [--onnx model.onnx]

VIDEO is a video file, a folder of frames or a camera index (``0``).
Frames are decoded one at a time and run through
:class:`mmvidseg.apis.VideoSession` (overlapping windows, linked ids), so
memory does not grow with the video. The predicted tracks (masks, track ids,
classes, scores) are drawn and written to ``--out`` (.mp4 / .avi as they
come; .gif at the end), and, with ``--results``, saved as JSON (per frame:
track ids, labels, scores, COCO RLE masks). Progress shows frames/s and the
process's resident memory.

Video-TTT models (``configs/video_ttt``) adapt online as the frames come
(one test-time training step per frame, then its prediction; ``--ttt-mode``
``online`` / ``standard`` / ``frozen``); their semantic maps are drawn as
class regions, their instances / panoptic things with frame-to-frame ids.
``--resize W H`` scales every frame first (a model trained on small frames,
or a faster CPU run).

With ``--onnx`` the per-clip network runs in ONNX Runtime
(:class:`mmvidseg.deployment.OnnxClipModel`; the graph from
``tools/deployment/export.py CONFIG CHECKPOINT``); the data preprocessor,
the post-processing and the window linking stay the PyTorch model's.
"""
import argparse
import json
import sys
import time

import cv2
import numpy as np

from mmvidseg.apis import VideoSession, init_model, iter_frames
from mmvidseg.structures.masks import encode_masks
from mmvidseg.utils.file_safety import add_force_argument, check_new_file
from mmvidseg.utils.memory import current_rss_mb
from mmvidseg.visualization import VideoWriterStream, draw_frame


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('video', help='video file, frame folder or camera '
                        'index')
    parser.add_argument('config')
    parser.add_argument('checkpoint', help="checkpoint file, URL or "
                        "'zoo://NAME'")
    parser.add_argument('--out', required=True, help='.mp4, .avi or .gif')
    parser.add_argument('--results', help='also write the tracks as JSON')
    parser.add_argument('--max-frames', type=int)
    parser.add_argument('--score-thr', type=float, default=0.3)
    parser.add_argument('--fps', type=float, default=6.0)
    parser.add_argument('--window', type=int, help='frames per model call')
    parser.add_argument('--overlap', type=int, help='frames shared by '
                        'consecutive windows')
    parser.add_argument('--text', nargs='+', help='referring models (MTTR): '
                        'one sentence per object to segment')
    parser.add_argument('--resize', type=int, nargs=2, metavar=('W', 'H'),
                        help='scale every frame to W x H first')
    parser.add_argument('--ttt-mode', choices=['online', 'standard',
                                               'frozen'],
                        help='Video-TTT models: test-time training mode '
                        "(default: the config's)")
    parser.add_argument('--ttt-batch-size', type=int, help='Video-TTT: '
                        'masked copies per step (official 32)')
    parser.add_argument('--ttt-accum-iter', type=int, help='Video-TTT: '
                        'micro-batches per step')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--onnx', help='exported per-clip graph of this '
                        'config and checkpoint, run with ONNX Runtime')
    add_force_argument(parser)
    return parser.parse_args()


def resized(frames, size):
    """Frames scaled to ``size`` = (W, H)."""
    for frame in frames:
        yield cv2.resize(frame, tuple(size), interpolation=cv2.INTER_AREA)


def class_names(model):
    """The checkpoint's class names, else the config's test dataset's, if
    their number matches the model's classes (otherwise label numbers)."""
    head = getattr(model, 'panoptic_head', None) or getattr(
        model, 'track_head', None)
    num = getattr(head, 'num_classes', None)
    cfg_meta = model.cfg.get('test_dataloader', {}).get('dataset', {}).get(
        'metainfo') or {}
    for where, names in (
            ('checkpoint', (getattr(model, 'dataset_meta', None)
                            or {}).get('classes')),
            ('config', cfg_meta.get('classes'))):
        if names and (num is None or len(names) == num):
            return list(names)
        if names:
            print(f'{where} has {len(names)} class names for a model of '
                  f'{num} classes: not used', file=sys.stderr)
    return None


def main():
    args = parse_args()
    check_new_file(args.out, args.force)
    if args.results:
        check_new_file(args.results, args.force)
    source = int(args.video) if args.video.isdigit() else args.video
    model = init_model(args.config, args.checkpoint, args.device)
    if args.onnx:
        from mmvidseg.deployment import OnnxClipModel
        model = OnnxClipModel(model, args.onnx)
    ttt = {k: v for k, v in (('mode', args.ttt_mode),
                             ('batch_size', args.ttt_batch_size),
                             ('accum_iter', args.ttt_accum_iter))
           if v is not None}
    session = VideoSession(model, window=args.window, overlap=args.overlap,
                           ttt=ttt or None)
    if args.resize:
        source = resized(iter_frames(source, args.max_frames), args.resize)
    classes = class_names(model)
    if args.text:
        session.add_prompt(0, text=args.text)
        classes = args.text  # each object is labelled with its sentence
    tracks, start, peak = [], time.perf_counter(), 0.0
    with VideoWriterStream(args.out, args.fps, overwrite=args.force) as out:
        for r in session.propagate(source, None if args.resize else
                                   args.max_frames):
            keep = r.scores >= args.score_thr
            labels = r.track_ids if args.text else r.labels
            image = r.image
            if r.semantic is not None:  # class regions under the tracks
                present = np.unique(r.semantic)
                image = draw_frame(image, r.semantic[None] == present[:, None,
                                                                      None],
                                   present + 1000, present, None, classes,
                                   alpha=0.4, show_ids=False)
            out.write(draw_frame(image, r.masks[keep], r.track_ids[keep],
                                 labels[keep], r.scores[keep], classes,
                                 frame_text=f'frame {r.frame_idx}'))
            if args.results:
                tracks.append(dict(
                    frame=r.frame_idx, track_ids=r.track_ids.tolist(),
                    labels=r.labels.tolist(), scores=r.scores.tolist(),
                    masks=r.rle()))
                if r.semantic is not None:  # per class: its RLE region
                    present = np.unique(r.semantic)
                    tracks[-1]['semantic'] = dict(
                        labels=present.tolist(), masks=encode_masks(
                            r.semantic[None] == present[:, None, None]))
            peak = max(peak, current_rss_mb())
            took = time.perf_counter() - start
            print(f'\rframe {r.frame_idx + 1}  '
                  f'{(r.frame_idx + 1) / took:.2f} frames/s  RSS '
                  f'{current_rss_mb():.0f} MB', end='', file=sys.stderr, flush=True)
        num = out.count
    took = time.perf_counter() - start
    print(file=sys.stderr)
    if args.results:
        with open(args.results, 'w') as f:
            json.dump(dict(video=str(args.video), window=session.window,
                           overlap=session.overlap, frames=tracks), f)
    print(f'{num} frames in {took:.1f} s ({num / took:.2f} frames/s), peak '
          f'RSS {peak:.0f} MB; wrote {args.out}' +
          (f' and {args.results}' if args.results else ''))
    if args.onnx:
        print(f'ONNX Runtime: {model.graph_calls} graph runs, '
              f'{model.graph_seconds:.1f} s of the {took:.1f} s')


if __name__ == '__main__':
    main()
