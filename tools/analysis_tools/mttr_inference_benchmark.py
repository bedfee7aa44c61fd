# Copyright (c) mmvidseg contributors. All rights reserved.
"""Frames per second and peak memory of MTTR inference, whole clip vs
windowed (``test_cfg.window``).

Each setting runs in a fresh child process (peak resident memory is a
per-process high-water mark): the model is built from the config (random
weights: speed and memory do not depend on them; the tokenizer is an
in-memory one so that no roberta-base files are needed), one warm-up pass on
a short clip, then ``--repeats`` timed passes of ``predict`` on a random
clip of ``--frames`` frames at ``--size``. Reported: frames/s and the peak
RSS growth over the resident size after the warm-up (MiB). On a GPU the
peak CUDA memory is reported as well.

Example (36 frames at 360 x 640, the Refer-YouTube-VOS size)::

    python tools/analysis_tools/mttr_inference_benchmark.py \
        configs/mttr/mttr_swin-t-w12_4xb1-30e_ref-youtube-vos.py \
        --frames 36 --size 360 640 --windows 0 12
"""
import argparse
import json
import multiprocessing as mp
import resource
import time


def _rss_mib() -> float:
    with open('/proc/self/statm') as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _run(config: str, frames: int, size, window: int, repeats: int,
         device: str, threads: int, queue) -> None:
    import torch
    from mmdet.structures import DetDataSample, TrackDataSample
    from mmengine.config import Config

    from mmvidseg.registry import MODELS
    from mmvidseg.utils import register_all_modules
    register_all_modules()
    if threads:
        torch.set_num_threads(threads)
    cfg = Config.fromfile(config)
    cfg.model.test_cfg = dict(cfg.model.get('test_cfg', {}), mode='rvos',
                              window=window or None)
    text_cfg = cfg.model.head.transformer.text_encoder
    text_cfg['tokenizer'] = dict(corpus=['a person riding a bike on the '
                                         'left of the road'])
    cfg.model.backbone.pretrained = None
    model = MODELS.build(cfg.model).to(device).eval()
    h, w = size

    def clip(t):
        s = TrackDataSample()
        s.video_data_samples = [DetDataSample(metainfo=dict(
            img_shape=(h, w), ori_shape=(h, w), frame_id=j,
            text='a person riding a bike on the left')) for j in range(t)]
        return torch.randn(1, t, 3, h, w, device=device), [s]

    with torch.no_grad():
        model.predict(*clip(2))  # warm-up
        if device.startswith('cuda'):
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        base = _rss_mib()
        x, samples = clip(frames)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            model.predict(x, samples)
            if device.startswith('cuda'):
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = dict(window=window or 'whole', frames=frames, size=list(size),
               device=device, seconds=min(times),
               fps=frames / min(times),
               peak_rss_growth_mib=round(peak - base, 1))
    if device.startswith('cuda'):
        out['peak_cuda_mib'] = torch.cuda.max_memory_allocated() / 2**20
    queue.put(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--frames', type=int, default=36)
    parser.add_argument('--size', type=int, nargs=2, default=(360, 640))
    parser.add_argument('--windows', type=int, nargs='+', default=[0, 12],
                        help='0 = the whole clip in one pass')
    parser.add_argument('--repeats', type=int, default=1)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, default=0)
    args = parser.parse_args()
    ctx = mp.get_context('spawn')
    results = []
    for window in args.windows:
        queue = ctx.Queue()
        proc = ctx.Process(target=_run, args=(
            args.config, args.frames, tuple(args.size), window,
            args.repeats, args.device, args.threads, queue))
        proc.start()
        results.append(queue.get())
        proc.join()
        print(json.dumps(results[-1]), flush=True)
    if len(results) > 1:
        ref = results[0]
        for r in results[1:]:
            print(f"window {r['window']} vs {ref['window']}: "
                  f"speed x{r['fps'] / ref['fps']:.2f}, peak memory "
                  f"x{r['peak_rss_growth_mib'] / max(ref['peak_rss_growth_mib'], 1e-6):.2f}")


if __name__ == '__main__':
    main()
