# Copyright (c) mmvidseg contributors. All rights reserved.
"""Export time and CPU speed of ONNX Runtime vs eager PyTorch per family.

For each toy config (random weights): export the per-clip network to ONNX
(timed), then time the eager wrapper (the model's own path: C++ deformable
attention / RoIAlign kernels) and the ONNX Runtime session on the same
clip, in this process, with the same thread count; prints medians and the
eager / ORT ratio (> 1: ORT faster). No timed asserts. ``max diff`` is ORT
vs the C++-kernel eager path; TeViT's random box regressors amplify
rounding over its four stages (the tests tame them; see its wrapper).

Usage::

    python tools/analysis_tools/benchmark_export.py [--threads 1]
        [--repeats 5] [--families tarvis stemseg ...]
"""
import argparse
import os
import os.path as osp
import statistics
import sys
import tempfile
import time

import torch

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..'))

CONFIGS = {
    'mask2former_vis': 'configs/mask2former_vis/'
    'mask2former_r18-b16-tiny_1xb4-2500i_toy-ytvis.py',
    'tevit': 'configs/tevit/tevit_msgshift-tiny_1xb4-toy.py',
    'stemseg': 'configs/stemseg/stemseg_r18-b16-tiny_1xb2-2400i_toy-ytvis.py',
    'tarvis': 'configs/tarvis/tarvis_r18-b16-tiny_1xb4-1200i_toy-ytvis.py',
    'mttr': 'configs/mttr/mttr_swin-t-tiny_1xb4-2000i_toy-ref-youtube-vos.py',
    'video_ttt': 'configs/video_ttt/video-ttt_r18-b16-tiny_toy.py',
}


def median_time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--families', nargs='+', default=sorted(CONFIGS))
    parser.add_argument('--size',
                        type=int,
                        nargs=2,
                        default=(128, 192),
                        metavar=('H', 'W'))
    args = parser.parse_args()
    import onnxruntime as ort

    from mmvidseg.apis import init_model
    from mmvidseg.deployment import build_export_wrapper, export_onnx

    from mmengine.logging import MMLogger
    # init_weights logs every parameter at INFO
    MMLogger.get_current_instance().setLevel('WARNING')
    torch.set_num_threads(args.threads)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    root = osp.join(osp.dirname(__file__), '..', '..')
    print(f'torch {torch.__version__}, onnxruntime {ort.__version__}, '
          f'{args.threads} thread(s), median of {args.repeats}')
    print(f'{"family":16s} {"clip":>16s} {"export s":>9s} {"eager ms":>9s} '
          f'{"ORT ms":>9s} {"eager/ORT":>9s} {"max diff":>9s}')
    with tempfile.TemporaryDirectory() as tmp:
        for family in args.families:
            torch.manual_seed(0)
            model = init_model(osp.join(root, CONFIGS[family]))
            model.init_weights()
            wrapper = build_export_wrapper(model.eval())
            t = wrapper.num_frames or 2
            h, w = args.size
            x = torch.randn(1, t, 3, h, w)
            path = os.path.join(tmp, f'{family}.onnx')
            start = time.perf_counter()
            export_onnx(wrapper, x, path)
            export_s = time.perf_counter() - start
            sess = ort.InferenceSession(path,
                                        opts,
                                        providers=['CPUExecutionProvider'])
            args_in = wrapper.example_inputs(x)  # MTTR: + tokens, pad
            feed = {
                n: a.numpy()
                for n, a in zip(wrapper.input_names, args_in)
            }

            def eager():
                with torch.no_grad():
                    return wrapper(*args_in)

            eager_s = median_time(eager, args.repeats)
            ort_s = median_time(lambda: sess.run(None, feed), args.repeats)
            diff = max(
                float((r - torch.from_numpy(o)).abs().max())
                for r, o in zip(eager(), sess.run(None, feed)))
            print(f'{family:16s} {str(tuple(x.shape[1:])):>16s} '
                  f'{export_s:9.1f} {eager_s * 1e3:9.1f} {ort_s * 1e3:9.1f} '
                  f'{eager_s / ort_s:9.2f} {diff:9.2g}')


if __name__ == '__main__':
    main()
