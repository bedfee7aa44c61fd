# Copyright (c) mmvidseg contributors. All rights reserved.
"""Benchmark TarViS's temporal neck on CPU: mmvidseg vs the official path.

Workload: ``TarViSTemporalNeck`` (R50 channels, 6 deformable + 6 temporal
layers, 256 channels) forward + backward (into the weights and the input
features) on random backbone features of ``--batch`` clips x ``--frames``
frames of ``--height`` x ``--width`` pixels (``--toy`` for a small size).

Variants, all with the same weights in the same process:

* ``mmvidseg``: :class:`TarViSTemporalNeck` as built (mmvidseg's C++
  deformable-attention kernel, reshaped windows, SDPA attention).
* ``reference``: the official code path re-played on the same modules:
  deformable sampling through ``grid_sample`` (mmcv's
  ``multi_scale_deformable_attn_pytorch``, the maths of the official
  ``ms_deform_attn_core_pytorch``), 2-D / 3-D position embeddings and an
  all-False padding mask per frame, windows gathered with the official
  ``get_patch_mask_indices`` (``F.unfold``) indices, ``nn.MultiheadAttention``
  with its default ``need_weights=True`` (attention matrix materialised),
  ``argsort`` scatter back, ``nn.Dropout(0.0)`` modules as the official
  layers (``Ali2500/TarViS: tarvis/modelling/backbone/
  temporal_neck/{module,temporal_attention}.py``).
* ``official`` (only with ``--official-root``): the official
  ``TemporalNeck`` itself, imported from a scratch copy of the repository
  with detectron2 / fvcore shims (it falls back to
  ``ms_deform_attn_core_pytorch`` without the CUDA extension), weights
  loaded through :mod:`mmvidseg.models.necks.tarvis_neck_keymap`.

Time: median forward+backward wall time per variant, alternating variants
after one warm-up each. Peak memory: each variant runs one forward+backward
in a fresh subprocess; after the inputs exist the peak resident set size is
reset (``/proc/self/clear_refs``), and the reported number is ``VmHWM``
minus the resident size at that point (``ru_maxrss`` growth without
``/proc``). Also prints the max abs difference of the outputs.

Example::

    python tools/analysis_tools/benchmark_tarvis_neck.py --toy
    python tools/analysis_tools/benchmark_tarvis_neck.py --frames 6 \
        --height 384 --width 640 --repeat 1 --skip-parity \
        --variants mmvidseg reference

``mmvidseg-cp`` is ``TarViSTemporalNeck(recompute_ffn=True)`` (the 12
FFN hidden layers recomputed in backward) on the same weights.

Numbers, the op profile and why the 3x goal is out of reach on CPU (the
dense layers, identical in every variant, take about 60% of mmvidseg's
time) are in ``configs/tarvis/README.md``. Peak memory at the toy size is
dominated by glibc's heap (tensors of a few MiB are not ``mmap``-ed); run
with ``MALLOC_MMAP_THRESHOLD_=65536`` for numbers that follow the live
tensors.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List

import torch
import torch.nn.functional as F
from torch import nn

from mmcv.cnn.bricks.transformer import FFN

from mmvidseg.models.layers.recompute_ffn import convert_recompute_ffn
from mmvidseg.models.necks import TarViSTemporalNeck
from mmvidseg.models.necks.tarvis_neck_keymap import convert_neck_key
from mmvidseg.ops import ms_deform_attn_backend

CHANNELS = [256, 512, 1024, 2048]
STRIDES = [4, 8, 16, 32]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--frames', type=int, default=6)
    parser.add_argument('--height', type=int, default=384)
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument(
        '--toy', action='store_true', help='2 clips x 3 frames of 128x192')
    parser.add_argument('--repeat', type=int, default=2)
    parser.add_argument(
        '--threads', type=int, default=0, help='torch threads (0: keep)')
    parser.add_argument(
        '--official-root',
        help='folder holding a scratch copy of the official tarvis package '
        '(+ einops, detectron2/fvcore shims) to benchmark it too')
    parser.add_argument(
        '--variants',
        nargs='+',
        choices=['mmvidseg', 'mmvidseg-cp', 'reference', 'official'],
        help='subset to run (default: mmvidseg, mmvidseg-cp, reference and, '
        'with --official-root, official)')
    parser.add_argument(
        '--skip-parity',
        action='store_true',
        help='no warm-up / output comparison (large sizes)')
    parser.add_argument('--skip-memory', action='store_true')
    parser.add_argument(
        '--profile',
        type=int,
        default=0,
        metavar='N',
        help='instead of timing, profile one forward and one backward per '
        'variant (torch.profiler) and print the N ops with the most self '
        'CPU time, with their share')
    parser.add_argument('--memory-worker', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.toy:
        args.batch, args.frames, args.height, args.width = 2, 3, 128, 192
    return args


def build_neck() -> TarViSTemporalNeck:
    torch.manual_seed(0)
    neck = TarViSTemporalNeck(in_channels=CHANNELS)
    neck.init_weights()
    with torch.no_grad():  # non-trivial deformable sampling / attention
        for layer in neck.encoder.layers:
            layer.self_attn.attention_weights.weight.normal_(0, 0.02)
            layer.self_attn.sampling_offsets.weight.normal_(0, 0.02)
    return neck.train()


def make_feats(args: argparse.Namespace) -> List[torch.Tensor]:
    torch.manual_seed(1)
    n = args.batch * args.frames
    return [
        torch.randn(n, c, args.height // s, args.width // s)
        for c, s in zip(CHANNELS, STRIDES)
    ]


def _patch_indices(shapes) -> torch.Tensor:
    """Official ``get_patch_mask_indices(ksize_offset=1)``, concatenated."""
    out, offset = [], 0
    for lvl, (h, w) in enumerate(shapes):
        coords = torch.stack(
            torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij'))
        ks = 2**(lvl + 1)
        idx = F.unfold(coords[None].float(), ks, stride=ks)[0].long()
        idx = idx.view(2, ks * ks, -1)  # (2, patch_sz, num_patches)
        out.append((idx[0] * w + idx[1] + offset).t())
        offset += h * w
    return torch.cat(out, 1)  # (P, N)


def _reference_temporal(layer, src, pos, patch_idx, b, t):
    """Official ``TemporalAttentionLayer.forward`` on mmvidseg's weights."""
    lhw, c = src.shape[1], src.shape[2]
    num_p, n = patch_idx.shape
    src = src.view(b, t, lhw, c).permute(2, 1, 0, 3)  # (LHW, T, B, C)
    pos = pos.permute(2, 1, 0, 3)  # (LHW, T, B, C)
    idx = patch_idx.flatten()
    src = src[idx].view(num_p, n, t, b, c).permute(3, 0, 1, 2, 4)
    src = src.reshape(b * num_p, n * t, c)  # (B P, N T, C)
    pos = pos[idx].view(num_p, n, t, b, c).permute(3, 0, 1, 2, 4)
    kq = src + pos.reshape(b * num_p, n * t, c)
    if kq.size(1) > 500 and not layer.training:
        with torch.no_grad():
            attn = torch.cat([
                layer.self_attn(query=q, key=q, value=v)[0]
                for q, v in zip(kq.chunk(8), src.chunk(8))
            ])
    else:
        attn = layer.self_attn(query=kq, key=kq, value=src)[0]
    src = src + layer.dropout(attn)
    src = src.view(b, num_p, n, t, c).permute(1, 2, 0, 3, 4)
    src = src.reshape(num_p * n, b * t, c)[idx.argsort()].transpose(0, 1)
    src = layer.norms[0](src)
    return layer.norms[1](layer.ffn(src))


@contextmanager
def official_dropouts(neck: TarViSTemporalNeck) -> Iterator[None]:
    """Put back the ``nn.Dropout(0.0)`` modules that the neck removed (the
    official layers run them: 3 per deformable and per temporal layer)."""
    removed = []
    for name in neck.removed_dropouts:
        parent, _, child = name.rpartition('.')
        module = neck.get_submodule(parent)
        removed.append((module, child, getattr(module, child)))
        setattr(module, child, nn.Dropout(0.0))
    try:
        yield
    finally:
        for module, child, identity in removed:
            setattr(module, child, identity)


def reference_forward(neck: TarViSTemporalNeck, feats: List[torch.Tensor],
                      num_frames: int):
    """The official ``TemporalNeck.forward`` re-played on ``neck``."""
    with official_dropouts(neck):
        return _reference_forward(neck, feats, num_frames)


def _reference_forward(neck, feats, num_frames):
    bt = feats[0].shape[0]
    b = bt // num_frames
    srcs, pos2d, pos3d, masks, shapes, refs = [], [], [], [], [], []
    with ms_deform_attn_backend('pytorch'):
        for i in range(neck.num_encoder_levels):
            x = neck.input_convs[i](feats[neck.num_input_levels - 1 - i])
            h, w = x.shape[-2:]
            shapes.append((h, w))
            mask = x.new_zeros((bt, h, w), dtype=torch.bool)
            masks.append(mask.flatten(1))
            p = neck.postional_encoding(mask).flatten(2).transpose(1, 2)
            pos2d.append(p + neck.level_encoding.weight[i])
            p3 = neck.positional_encoding_3d(
                dims=(b, num_frames, h, w), device=x.device, fmt='btchw')
            p3 = p3.flatten(3).transpose(2, 3)  # (B, T, h*w, C)
            pos3d.append(p3 + neck.level_encoding_3d.weight[i])
            srcs.append(x.flatten(2).transpose(1, 2))
            ry, rx = torch.meshgrid(
                torch.linspace(0.5, h - 0.5, h) / h,
                torch.linspace(0.5, w - 0.5, w) / w,
                indexing='ij')
            refs.append(torch.stack((rx.flatten(), ry.flatten()), -1))
        x, pos2d = torch.cat(srcs, 1), torch.cat(pos2d, 1)
        pos3d, mask = torch.cat(pos3d, 2), torch.cat(masks, 1)
        ref = torch.cat(refs)[None, :, None].repeat(bt, 1, len(shapes), 1)
        spatial_shapes = torch.as_tensor(shapes, dtype=torch.long)
        start = torch.cat((spatial_shapes.new_zeros(
            (1, )), spatial_shapes.prod(1).cumsum(0)[:-1]))
        patch_idx = _patch_indices(shapes)
        for layer, temporal in zip(neck.encoder.layers,
                                   neck.temporal_layers):
            x = layer(
                query=x,
                query_pos=pos2d,
                key_padding_mask=mask,
                spatial_shapes=spatial_shapes,
                level_start_index=start,
                reference_points=ref)
            x = _reference_temporal(temporal, x, pos3d, patch_idx, b,
                                    num_frames)
    outs = [
        m.transpose(1, 2).reshape(bt, -1, h, w)
        for m, (h, w) in zip(x.split([h * w for h, w in shapes], 1), shapes)
    ]
    cur = neck.lateral_convs[0](feats[0])
    y = cur + F.interpolate(
        outs[-1], size=cur.shape[-2:], mode='bilinear', align_corners=False)
    outs.append(neck.output_convs[0](y))
    return outs[:3] + [neck.mask_feature(outs[-1])]


def _mmvidseg_forward(neck, feats, num_frames):
    multi_scale, mask_features = neck(feats, num_frames)
    return [*multi_scale, mask_features]


def _mmvidseg_cp_forward(neck, feats, num_frames):
    """``TarViSTemporalNeck(recompute_ffn=True)`` on the same weights."""
    with recomputed_ffns(neck):
        return _mmvidseg_forward(neck, feats, num_frames)


@contextmanager
def recomputed_ffns(neck: TarViSTemporalNeck) -> Iterator[None]:
    """Switch the neck's FFNs to ``RecomputeFFN`` (as ``recompute_ffn=True``
    does) for a block; backward may run after the block (the autograd
    function is recorded in forward)."""
    names = convert_recompute_ffn(neck)
    try:
        yield
    finally:
        for name in names:
            neck.get_submodule(name).__class__ = FFN


def _official_builder(root: str, neck: TarViSTemporalNeck) -> Callable:
    sys.path.insert(0, root)
    from detectron2.layers import ShapeSpec  # noqa: E402 (scratch shims)
    from tarvis.modelling.backbone.temporal_neck.module import TemporalNeck
    shape = {
        f'res{i + 2}': ShapeSpec(channels=c, stride=s)
        for i, (c, s) in enumerate(zip(CHANNELS, STRIDES))
    }
    official = TemporalNeck(
        input_shape=shape,
        transformer_dropout=0.0,
        transformer_nheads=8,
        transformer_dim_feedforward=1024,
        transformer_enc_layers=6,
        conv_dim=256,
        mask_dim=256,
        norm='GN',
        transformer_in_features=['res3', 'res4', 'res5'],
        common_stride=4,
        temporal_attn_patches_per_dim=8).train()
    mine = neck.state_dict()
    official.load_state_dict(
        {k: mine[convert_neck_key(k)]
         for k in official.state_dict()})

    def forward(_, feats, num_frames):
        bt = feats[0].shape[0]
        inputs = {
            f'res{i + 2}': f.view(bt // num_frames, num_frames, *f.shape[1:])
            for i, f in enumerate(feats)
        }
        return official(inputs)  # rows (B T), like the others

    return forward


def variants(args) -> Dict[str, Callable]:
    out = {
        'mmvidseg': _mmvidseg_forward,
        'mmvidseg-cp': _mmvidseg_cp_forward,
        'reference': reference_forward
    }
    if args.official_root:
        out['official'] = None  # built lazily (needs the neck's weights)
    if args.variants:
        out = {k: v for k, v in out.items() if k in args.variants}
    return out


def _fb(fn, neck, feats, num_frames):
    feats = [f.detach().requires_grad_() for f in feats]
    outs = fn(neck, feats, num_frames)
    torch.manual_seed(2)
    loss = sum((o * torch.randn_like(o)).sum() for o in outs)
    loss.backward()
    return [o.detach() for o in outs]


def _rows(outs: List[torch.Tensor]) -> torch.Tensor:
    """Outputs in the official (B T, C, H, W) layout, flattened."""
    return torch.cat([(o.transpose(1, 2).flatten(0, 1) if o.dim() == 5 else
                       o).flatten() for o in outs])


def profile(fns: Dict[str, Callable], neck, feats, num_frames: int,
            top: int) -> None:
    """Self CPU time per op, forward and backward separately."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile
    for name, fn in fns.items():
        _fb(fn, neck, feats, num_frames)  # warm-up
        neck.zero_grad()
        inputs = [f.detach().requires_grad_() for f in feats]
        with torch_profile(activities=[ProfilerActivity.CPU]) as fwd:
            outs = fn(neck, inputs, num_frames)
        torch.manual_seed(2)
        loss = sum((o * torch.randn_like(o)).sum() for o in outs)
        with torch_profile(activities=[ProfilerActivity.CPU]) as bwd:
            loss.backward()
        for stage, prof in (('forward', fwd), ('backward', bwd)):
            events = prof.key_averages()
            total = sum(e.self_cpu_time_total for e in events) / 1e6
            print(f'{name} {stage}: {total:.2f} s self CPU')
            for e in sorted(events, key=lambda e: -e.self_cpu_time_total)[
                    :top]:
                sec = e.self_cpu_time_total / 1e6
                share = 100 * sec / total
                print(f'  {e.key[:50]:<52}{sec:9.3f} s {share:5.1f}%  '
                      f'x{e.count}')


def _status_kib(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(field)


def memory_worker(args: argparse.Namespace) -> None:
    neck, feats = build_neck(), make_feats(args)
    fn = variants(args)[args.memory_worker]
    if fn is None:
        fn = _official_builder(args.official_root, neck)
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        before, read_peak = _status_kib('VmRSS'), lambda: _status_kib('VmHWM')
    except OSError:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        read_peak = lambda: resource.getrusage(  # noqa: E731
            resource.RUSAGE_SELF).ru_maxrss
    _fb(fn, neck, feats, args.frames)
    print(json.dumps(dict(peak_mib=(read_peak() - before) / 1024)))


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.memory_worker:
        memory_worker(args)
        return
    neck, feats = build_neck(), make_feats(args)
    fns = variants(args)
    if 'official' in fns:
        fns['official'] = _official_builder(args.official_root, neck)
    print(f'{args.batch} clip(s) x {args.frames} frames, '
          f'{args.height}x{args.width}, threads {torch.get_num_threads()}, '
          f'load average {os.getloadavg()[0]:.1f}')
    if args.profile:
        profile(fns, neck, feats, args.frames, args.profile)
        return
    outs = {}
    for name, fn in fns.items():  # warm-up, outputs for the parity line
        if args.skip_parity:
            break
        neck.zero_grad()
        outs[name] = _rows(_fb(fn, neck, feats, args.frames))
    for name in outs:
        if name != 'mmvidseg' and 'mmvidseg' in outs:
            diff = (outs[name] - outs['mmvidseg']).abs().max().item()
            print(f'max |out(mmvidseg) - out({name})| = {diff:.3e}')
    del outs
    times = {name: [] for name in fns}
    for _ in range(args.repeat):
        for name, fn in fns.items():
            neck.zero_grad()
            start = time.perf_counter()
            _fb(fn, neck, feats, args.frames)
            times[name].append(time.perf_counter() - start)
    median = {k: statistics.median(v) for k, v in times.items()}
    print(f'load average {os.getloadavg()[0]:.1f}; times (s): ' +
          json.dumps({k: [round(t, 2) for t in v]
                      for k, v in times.items()}))
    print(f'{"variant":<12}{"fwd+bwd s (median)":>20}', flush=True)
    for name in fns:
        print(f'{name:<12}{median[name]:>20.3f}')
    if 'mmvidseg' in fns:
        for name in fns:
            if name != 'mmvidseg':
                print(f'speed-up vs {name}: '
                      f'{median[name] / median["mmvidseg"]:.2f}x (goal >= 3)')
    if args.skip_memory:
        return
    del neck, feats
    peaks = {}
    for name in fns:
        result = subprocess.run(
            [sys.executable, __file__, *sys.argv[1:], '--memory-worker',
             name],
            capture_output=True,
            text=True)
        if result.returncode:
            print(f'{name}: memory worker failed with code '
                  f'{result.returncode} (-9: killed, out of memory)')
            continue
        peaks[name] = json.loads(
            result.stdout.strip().splitlines()[-1])['peak_mib']
        print(f'{name:<12} peak MiB {peaks[name]:>10.0f}', flush=True)
    for name in peaks:
        if name != 'mmvidseg' and 'mmvidseg' in peaks:
            print(f'peak memory ratio mmvidseg / {name}: '
                  f'{peaks["mmvidseg"] / peaks[name]:.3f} (goal <= 0.5)')


if __name__ == '__main__':
    main()
