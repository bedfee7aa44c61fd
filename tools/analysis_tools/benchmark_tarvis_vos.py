# Copyright (c) mmvidseg contributors. All rights reserved.
"""CPU speed and memory of TarViS VOS inference (issue 12 numbers).

Builds a random-weight TarViS (the tiny toy config with an object encoder,
or ``--config`` of a real one), makes a synthetic video of ``--frames``
frames at ``--height`` x ``--width`` with ``--objects`` moving boxes given
in the first frame, and reports:

* object encoder alone (inference mode, ``overlap`` frames of predicted
  masks of every object): ms per call and frames/s, wall clock and process
  CPU time (on a shared machine the CPU time is the steadier number);
* whole-video VOS inference: frames/s, against VIS inference of the same
  model on the same frames in the same process (ratio);
* resident memory after every clip: the max over the first and the second
  half of the video (it must not grow with the video length);
* peak resident memory (``VmHWM``, reset once the model and the input
  frames exist): the peak while the clips run and the peak including the
  accumulator's ``finalize`` (per-frame masks decoded from RLE, which grow
  with the video like the input frames themselves). Compare two videos in
  two fresh processes (``--frames 25`` / ``--frames 100``).

Example (the issue 12 numbers: DAVIS size, 12-frame clips)::

    OMP_NUM_THREADS=1 MALLOC_MMAP_THRESHOLD_=65536 \\
        python tools/analysis_tools/benchmark_tarvis_vos.py \\
        --frames 25 --height 480 --width 854 --skip-vis
    # the R-50 model of the DAVIS config, one clip:
    ... --config configs/tarvis/tarvis_r50_32xb1-90k_davis2017.py \\
        --frames 12 --skip-vis

``MALLOC_MMAP_THRESHOLD_`` keeps glibc from holding freed few-MiB tensors
on its heap, so the resident numbers follow the tensors, not the allocator.
"""
import argparse
import copy
import gc
import logging
import time
from pathlib import Path

import numpy as np
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.structures import InstanceData

from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules
from mmvidseg.utils.memory import current_rss_mb, hwm_rss_mb, reset_peak_rss

ROOT = Path(__file__).parents[2]
TINY = ROOT / 'configs/tarvis/tarvis_r18-b16-tiny_1xb4-1200i_toy-ytvis.py'


def build(config: str, clip: int, overlap: int):
    cfg = copy.deepcopy(Config.fromfile(config).model)
    feat = cfg.decoder.get('embed_dims', 256)
    if cfg.get('object_encoder') is None:
        cfg.object_encoder = dict(
            type='TarViSObjectEncoder', embed_dims=feat,
            num_heads=cfg.decoder.get('num_heads', 8),
            feedforward_channels=4 * feat)
    cfg.decoder.group_names = ('instance', 'background', 'semantic',
                               'background_vos', 'vos')
    cfg.test_cfg.update(clip_length=clip, overlap=overlap)
    torch.manual_seed(0)
    model = MODELS.build(cfg).eval()
    MMLogger.get_current_instance().setLevel(logging.WARNING)  # init table
    model.init_weights()
    return model


def video(num_frames: int, h: int, w: int, num_objects: int):
    """Normalised frames (1, T, 3, Hp, Wp) padded to 64 and data samples;
    every object given by its first-frame mask."""
    hp, wp = -(-h // 64) * 64, -(-w // 64) * 64
    rng = np.random.RandomState(0)
    x = torch.from_numpy(rng.randn(1, num_frames, 3, hp, wp).astype(
        np.float32))
    frames = []
    for t in range(num_frames):
        s = DetDataSample(metainfo=dict(
            img_id=t, video_id=0, frame_id=t, img_shape=(h, w),
            ori_shape=(h, w), video_length=num_frames, task='vos'))
        if t == 0:
            masks = np.zeros((num_objects, h, w), np.uint8)
            for i in range(num_objects):
                y0, x0 = (i * h) // (num_objects + 1), (i * w) // (
                    num_objects + 1)
                masks[i, y0:y0 + h // 4, x0:x0 + w // 4] = 1
            s.gt_instances = InstanceData(
                instances_ids=torch.arange(1, num_objects + 1),
                labels=torch.zeros(num_objects, dtype=torch.long),
                masks=BitmapMasks(masks, h, w))
        frames.append(s)
    return x, [TrackDataSample(video_data_samples=frames)]


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--config', default=str(TINY))
    p.add_argument('--frames', type=int, default=100)
    p.add_argument('--height', type=int, default=480)
    p.add_argument('--width', type=int, default=854)
    p.add_argument('--clip', type=int, default=12)
    p.add_argument('--overlap', type=int, default=6)
    p.add_argument('--objects', type=int, default=3)
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--skip-vis', action='store_true')
    p.add_argument('--skip-encoder', action='store_true')
    p.add_argument('--encoder-repeats', type=int, default=3)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules()
    model = build(args.config, args.clip, args.overlap)
    x, samples = video(args.frames, args.height, args.width, args.objects)
    hp, wp = x.shape[-2:]

    # object encoder alone: the objects over `overlap` predicted frames
    enc = model.object_encoder
    c = model.decoder.embed_dims if hasattr(model.decoder, 'embed_dims') \
        else 256
    enc_ms = None
    if not args.skip_encoder:
        fmap = torch.randn(c, args.overlap, hp // 4, wp // 4)
        masks = torch.zeros(args.objects, args.overlap, hp, wp,
                            dtype=torch.bool)
        for i in range(args.objects):
            masks[i, :, i * 40:i * 40 + hp // 4,
                  i * 60:i * 60 + wp // 4] = True
        with torch.no_grad():
            enc(mode='infer', fmap=fmap, ref_masks=masks)  # warm-up
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(args.encoder_repeats):
                enc(mode='infer', fmap=fmap, ref_masks=masks)
            enc_ms = (time.perf_counter() - t0) / args.encoder_repeats * 1000
            enc_cpu = (time.process_time() - c0) / args.encoder_repeats
        del fmap, masks

    rss, hwm = [], []
    acc = model.vos_accumulator
    add = acc.add_clip

    def spy(*a, **k):
        add(*a, **k)
        rss.append(current_rss_mb())
        hwm.append(hwm_rss_mb())

    gc.collect()
    base = current_rss_mb()
    peak_ok = reset_peak_rss()

    acc.add_clip = spy
    with torch.no_grad():
        t0, c0 = time.perf_counter(), time.process_time()
        out = model.predict(x, samples)
        vos_s = time.perf_counter() - t0
        vos_cpu = time.process_time() - c0
    peak_all = hwm_rss_mb()
    out_mb = sum(f.pred_track_instances.masks.numel()
                 for f in out[0].video_data_samples) / 2**20  # bool masks
    half = max(len(rss) // 2, 1)
    line = (f'{args.frames} frames {args.height}x{args.width} (padded '
            f'{hp}x{wp}), clips {args.clip}/{args.overlap}, '
            f'{args.objects} objects, {torch.get_num_threads()} threads\n'
            + (f'object encoder: {enc_ms:.0f} ms per call ({args.overlap} '
               f'frames of {args.objects} mask exemplars) = '
               f'{args.overlap / enc_ms * 1000:.2f} frames/s (CPU time '
               f'{enc_cpu:.1f} s per call = {args.overlap / enc_cpu:.2f} '
               'frames per CPU-second)\n'
               if enc_ms is not None else '') +
            f'VOS inference: {args.frames / vos_s:.2f} frames/s '
            f'({vos_s:.1f} s; CPU time {vos_cpu:.1f} s = '
            f'{args.frames / vos_cpu:.2f} frames per CPU-second)\n'
            f'RSS after each clip: first half max {max(rss[:half]):.0f} MiB, '
            f'second half max {max(rss[half:] or rss):.0f} MiB '
            f'({len(rss)} clips)\n'
            f'RSS before inference (model + {x.numel() * 4 / 2**20:.0f} MiB '
            f'of input frames): {base:.0f} MiB; peak above it'
            f'{"" if peak_ok else " (VmHWM not resettable: since start)"}'
            f': during the clips {max(hwm) - base:.0f} MiB, incl. finalize '
            f'{peak_all - base:.0f} MiB ({out_mb:.0f} MiB of decoded output '
            'masks)')
    if not args.skip_vis:
        for f in samples[0].video_data_samples:
            f.set_metainfo(dict(task='vis'))
        with torch.no_grad():
            t0 = time.perf_counter()
            model.predict(x, samples)
            vis_s = time.perf_counter() - t0
        line += (f'\nVIS inference (same model, frames): '
                 f'{args.frames / vis_s:.2f} frames/s -> VOS / VIS time '
                 f'{vos_s / vis_s:.2f}x')
    print(line)


if __name__ == '__main__':
    main()
