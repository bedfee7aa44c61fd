# Copyright (c) mmvidseg contributors. All rights reserved.
"""Benchmark TarViS's space-time decoder on CPU: peak memory and time.

Workload: :class:`TarViSDecoder` with R50 model dims (256 channels, 8
heads, FFN 2048, 9 layers, hard-masked cross-attention with trilinear mask
resize) on random neck outputs of one YouTube-VIS clip at the reference
size (``--frames`` 12 x ``--height`` 448 x ``--width`` 800, i.e. 1/4 maps of
112 x 200) with the VIS query set (``--queries`` 128 instance + 1
background + ``--classes`` 40 semantic), two modes:

* ``eval``: ``model.eval()`` under ``torch.no_grad()``, as inference
  (mmvidseg: ``last_only=True`` like ``TarViS.predict_clip``);
* ``train``: forward + backward of a loss over all prediction sets (sum of
  squared mask logits + class logits, a stand-in for the point-sampled
  losses) into the decoder weights and the neck outputs.

Variants, same weights, same process:

* ``mmvidseg``: as built (``attention='sdpa'``: one ``(B, Q, N)`` mask for
  all heads, ``F.scaled_dot_product_attention``; mask logits of a no-grad
  pass written into one preallocated tensor).
* ``mmvidseg-mha``: the same module with ``attention='official'``
  (``nn.MultiheadAttention`` with per-head boolean masks, as the reference)
  and all prediction sets kept in eval.
* ``official`` (only with ``--official-root``): the official
  ``TransformerDecoder`` (``Ali2500/TarViS: tarvis/modelling/
  transformer_decoder.py``) from a scratch copy outside the repository
  (with einops on its path), weights loaded through the converter's key map.

Peak memory: each variant x mode runs once in a fresh subprocess; after the
inputs and weights exist the peak resident set size is reset
(``/proc/self/clear_refs``) and the reported number is the growth of
``VmHWM``. Time: median over ``--repeat`` alternating runs.

Example::

    python tools/analysis_tools/benchmark_tarvis_decoder.py --toy
    python tools/analysis_tools/benchmark_tarvis_decoder.py \
        --official-root PATH/TO/OFFICIAL_TARVIS --repeat 1

Results (shared 2-core CPU, float32, one thread) are in
``configs/tarvis/README.md``.
"""
import argparse
import importlib.util
import json
import logging
import os
import os.path as osp
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List

import torch
from mmengine.logging import MMLogger

from mmvidseg.models.heads.tarvis_decoder import TarViSDecoder
from mmvidseg.utils.memory import current_rss_mb, hwm_rss_mb, reset_peak_rss

GROUPS = ['instance', 'background', 'semantic']
MODES = ('eval', 'train')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--frames', type=int, default=12)
    parser.add_argument('--height', type=int, default=448)
    parser.add_argument('--width', type=int, default=800)
    parser.add_argument('--queries', type=int, default=128)
    parser.add_argument('--classes', type=int, default=40)
    parser.add_argument(
        '--toy', action='store_true', help='2 frames of 128x192')
    parser.add_argument('--repeat', type=int, default=1)
    parser.add_argument('--modes', nargs='+', choices=MODES, default=MODES)
    parser.add_argument(
        '--variants',
        nargs='+',
        choices=['mmvidseg', 'mmvidseg-mha', 'official'],
        help='default: mmvidseg, mmvidseg-mha and, with --official-root, '
        'official')
    parser.add_argument(
        '--official-root',
        help='folder holding a scratch copy of the official tarvis package '
        '(modelling/) with einops importable from it or from a vendor/ '
        'subfolder')
    parser.add_argument('--skip-time', action='store_true')
    parser.add_argument('--skip-memory', action='store_true')
    parser.add_argument('--memory-worker', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.toy:
        args.frames, args.height, args.width = 2, 128, 192
    if not args.variants:
        args.variants = ['mmvidseg', 'mmvidseg-mha'] + (
            ['official'] if args.official_root else [])
    return args


def build(args: argparse.Namespace) -> TarViSDecoder:
    torch.manual_seed(0)
    dec = TarViSDecoder(group_names=GROUPS)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    dec.init_weights()  # (its per-parameter INFO lines are silenced)
    logger.setLevel(level)
    with torch.no_grad():  # non-trivial biases and norms
        for p in dec.parameters():
            p.add_(0.02 * torch.randn_like(p))
    return dec


def make_inputs(args: argparse.Namespace) -> dict:
    g = torch.Generator().manual_seed(1)
    t, h, w = args.frames, args.height, args.width
    feats = [torch.randn(1, 256, t, h // s, w // s, generator=g)
             for s in (32, 16, 8)]
    mask_features = torch.randn(1, 256, t, h // 4, w // 4, generator=g)
    sizes = [args.queries, 1, args.classes]
    queries = torch.randn(1, sum(sizes), 256, generator=g)
    embeds = torch.randn(1, sum(sizes), 256, generator=g)
    return dict(
        feats=feats,
        mask_features=mask_features,
        queries=queries,
        embeds=embeds,
        sizes=sizes)


def _official(root: str, dec: TarViSDecoder) -> Callable:
    for path in (osp.join(root, 'vendor'), root):
        if osp.isdir(path):
            sys.path.insert(0, path)
    from tarvis.modelling.transformer_decoder import TransformerDecoder
    spec = importlib.util.spec_from_file_location(
        'tarvis_to_mmvidseg',
        osp.join(
            osp.dirname(__file__), '..', 'model_converters',
            'tarvis_to_mmvidseg.py'))
    conv = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conv)
    official = TransformerDecoder(256, 256, 8, 2048, 9, False, False,
                                  'hard_masked')
    mine = dec.state_dict()
    state = {}
    for key in official.state_dict():
        ours = conv.convert_head_key('decoder.' + key)[len('decoder.'):]
        if ours in mine:
            state[key] = mine[ours]
    missing = set(official.state_dict()) - set(state)
    # unused groups of the official decoder keep their random weights
    assert all('mask_embeds' in k or 'proj_layers' in k for k in missing)
    official.load_state_dict(state, strict=False)

    def forward(inputs: dict) -> Dict[str, torch.Tensor]:
        return official(inputs['feats'] + [inputs['mask_features']],
                        inputs['queries'], inputs['embeds'], GROUPS,
                        inputs['sizes'])

    forward.module = official
    return forward


def variants(args: argparse.Namespace, dec: TarViSDecoder) -> Dict:
    def ours(attention: str) -> Callable:
        def forward(inputs: dict) -> Dict[str, torch.Tensor]:
            dec.set_attention(attention)
            return dec(
                inputs['feats'],
                inputs['mask_features'],
                inputs['queries'],
                inputs['embeds'],
                GROUPS,
                inputs['sizes'],
                last_only=attention == 'sdpa' and not torch.is_grad_enabled())

        forward.module = dec
        return forward

    out = {}
    for name in args.variants:
        if name == 'official':
            out[name] = _official(args.official_root, dec)
        else:
            out[name] = ours('sdpa' if name == 'mmvidseg' else 'official')
    return out


def run_once(fn: Callable, inputs: dict, mode: str) -> torch.Tensor:
    """One eval forward or train forward + backward; returns the last mask
    logits."""
    fn.module.train(mode == 'train')
    if mode == 'eval':
        with torch.no_grad():
            return fn(inputs)['mask_logits'][-1].clone()
    inputs = dict(
        inputs,
        feats=[f.detach().requires_grad_() for f in inputs['feats']],
        mask_features=inputs['mask_features'].detach().requires_grad_())
    out = fn(inputs)
    loss = out['mask_logits'].square().mean() + out['class_logits'].mean()
    loss.backward()
    return out['mask_logits'][-1].detach().clone()


def memory_worker(args: argparse.Namespace) -> None:
    name, mode = args.memory_worker.split(':')
    dec, inputs = build(args), make_inputs(args)
    fn = variants(args, dec)[name]
    exact = reset_peak_rss()
    before = current_rss_mb() if exact else hwm_rss_mb()
    run_once(fn, inputs, mode)
    print(json.dumps(dict(peak_mib=hwm_rss_mb() - before, exact=exact)))


def main() -> None:
    args = parse_args()
    if args.memory_worker:
        memory_worker(args)
        return
    t, h, w = args.frames, args.height, args.width
    print(f'1 clip x {t} frames, {h}x{w} (1/4: {h // 4}x{w // 4}), '
          f'{sum([args.queries, 1, args.classes])} queries, threads '
          f'{torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}')
    if not args.skip_time:
        dec, inputs = build(args), make_inputs(args)
        fns = variants(args, dec)
        for mode in args.modes:
            last: Dict[str, torch.Tensor] = {}
            times: Dict[str, List[float]] = {k: [] for k in fns}
            for _ in range(args.repeat):
                for name, fn in fns.items():
                    dec.zero_grad()
                    start = time.perf_counter()
                    last[name] = run_once(fn, inputs, mode)
                    times[name].append(time.perf_counter() - start)
            for name in fns:
                diff = (last[name] - last[args.variants[0]]).abs().max()
                median = statistics.median(times[name])
                print(f'{mode:<6}{name:<14}{median:9.2f} s  max |last mask '
                      f'logits - {args.variants[0]}| {diff:.2e}', flush=True)
        del dec, inputs, fns
    if args.skip_memory:
        return
    peaks = {}
    for mode in args.modes:
        for name in args.variants:
            result = subprocess.run(
                [sys.executable, __file__, *sys.argv[1:], '--memory-worker',
                 f'{name}:{mode}'],
                capture_output=True,
                text=True)
            if result.returncode:
                print(f'{mode} {name}: memory worker failed with code '
                      f'{result.returncode}: {result.stderr[-500:]}')
                continue
            peaks[mode, name] = json.loads(
                result.stdout.strip().splitlines()[-1])['peak_mib']
            print(f'{mode:<6}{name:<14} peak MiB {peaks[mode, name]:8.0f}',
                  flush=True)
        for name in args.variants[1:]:
            if (mode, name) in peaks and (mode, args.variants[0]) in peaks:
                ratio = peaks[mode, args.variants[0]] / peaks[mode, name]
                print(f'{mode}: peak memory {args.variants[0]} / {name} = '
                      f'{ratio:.3f}')


if __name__ == '__main__':
    main()
