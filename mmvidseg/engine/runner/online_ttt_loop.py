# Copyright (c) mmvidseg contributors. All rights reserved.
"""Video-TTT's online test-time training as an mmengine test loop."""
import json
import os
import os.path as osp
import time
from typing import Any, Dict, List, Optional, Union

import torch
from mmengine.dataset import pseudo_collate
from mmengine.evaluator import Evaluator
from mmengine.logging import print_log
from mmengine.runner.loops import BaseLoop
from torch.utils.data import DataLoader

from mmvidseg.registry import LOOPS
from mmvidseg.utils.checkpoint import load_checkpoint_file
from mmvidseg.utils.memory import current_rss_mb, peak_rss_mb
from .online_ttt import OnlineTTT
from .ttt_utils import gpu_peak_mb

STATE_FILE = 'ttt_loop_state.pth'


def frame_records(metric: Any, start: int) -> List[dict]:
    """Per-frame records a metric appended since ``len(results) == start``.

    A per-frame metric (``COCOVideosMetric``, ``FrameMIoUMetric``) appends,
    per data sample, a list of frame records with a ``value`` key.
    """
    out = []
    for item in getattr(metric, 'results', [])[start:]:
        for rec in item if isinstance(item, list) else [item]:
            if isinstance(rec, dict) and 'value' in rec:
                out.append(rec)
    return out


@LOOPS.register_module()
class OnlineTTTLoop(BaseLoop):
    """Test loop: every video of a frame stream with online TTT.

    Video-TTT (Wang et al., "Test-Time Training on Video Streams"; the
    official ``renwang435/video-ttt-release`` launches one subprocess per
    video that re-registers its dataset every frame). Here one process and
    one dataset serve all videos. The dataset yields one item per frame,
    ordered by video then frame, with metainfo ``video_id``, ``frame_id``
    and ``evaluate`` (``datasets/frame_stream.py``). For every frame: push
    it into the window, one TTT step (:class:`OnlineTTT`), then, for frames
    with ``evaluate``, predict and feed the evaluator. The weights at the
    start of :meth:`run` (``load_from``) are the checkpoint weights.

    Outputs under ``<work_dir>/<log_dir>``: ``<video>.jsonl`` with one line
    per frame (``frame_id``, ``evaluated``, the metric's per-frame
    ``value``, ``loss_recon``, ``ttt_time_s``, ``predict_time_s``,
    ``wall_s``, ``rss_mb`` / ``peak_rss_mb``, ``gpu_peak_mb``) and
    ``summary.json`` (the evaluator's metrics, the mode).

    Resume: with ``checkpoint_interval > 0`` the loop state (model,
    optimiser, scaler, window, frame position, RNG states, the metrics'
    partial results) is written to ``<work_dir>/ttt_loop_state.pth`` every
    that many frames; ``resume=True`` continues from it, mid-video, and
    the continued run equals an uninterrupted one.

    Args:
        runner: The runner.
        dataloader (DataLoader | dict): Its ``dataset`` is the frame stream
            (the loader itself is not iterated: frames are read in order by
            index, ``batch_size`` is irrelevant).
        evaluator (Evaluator | dict | list): Per-frame metrics.
        mode (str): ``'online'`` / ``'standard'`` / ``'frozen'``.
        ttt (dict): Keyword arguments of :class:`OnlineTTT` (window_size,
            batch_size, accum_iter, restart_optimizer, lr, augment, ...).
        predict_all (bool): Predict every frame, not only evaluated ones
            (timing runs). Defaults to False.
        log_dir (str): Sub-folder of ``work_dir`` for the logs.
        checkpoint_interval (int): Frames between loop-state saves; 0 off.
        resume (bool): Continue from the saved loop state if present.
        require_recon_keys (bool): In a TTT mode, fail when the checkpoint
            file (``load_from``) has no ``recon_head.`` weights.
        stop_after (int, optional): Stop after this many frames in this run
            (a pre-empted job; used by the resume test).
    """

    def __init__(self, runner, dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 mode: str = 'online', ttt: Optional[dict] = None,
                 predict_all: bool = False, log_dir: str = 'ttt_frames',
                 checkpoint_interval: int = 0, resume: bool = False,
                 require_recon_keys: bool = True,
                 stop_after: Optional[int] = None) -> None:
        super().__init__(runner, dataloader)
        self.evaluator = runner.build_evaluator(evaluator) if isinstance(
            evaluator, (dict, list)) else evaluator
        meta = getattr(self.dataloader.dataset, 'metainfo', None)
        if meta is not None:
            self.evaluator.dataset_meta = meta
        self.mode = mode
        self.ttt_cfg = dict(ttt or {})
        self.predict_all = predict_all
        self.log_dir = log_dir
        self.checkpoint_interval = checkpoint_interval
        self.resume = resume
        self.require_recon_keys = require_recon_keys
        self.stop_after = stop_after

    def _check_checkpoint(self) -> None:
        path = getattr(self.runner, '_load_from', None)
        if self.mode == 'frozen' or not self.require_recon_keys or not path:
            return
        ckpt = load_checkpoint_file(path, map_location='cpu')
        state = ckpt.get('state_dict', ckpt.get('model', ckpt)) \
            if isinstance(ckpt, dict) else {}
        if not any(k.startswith('recon_head.') for k in state):
            raise ValueError(
                f'{path}: no "recon_head.*" weights, so mode={self.mode!r} '
                'cannot train at test time; convert a Y-model checkpoint '
                "(tools/model_converters/video_ttt_to_mmvidseg.py) or run "
                "the baseline with --mode frozen")

    def run(self) -> dict:
        self._check_checkpoint()
        self.runner.call_hook('before_test')
        self.runner.call_hook('before_test_epoch')
        model = self.runner.model
        model = getattr(model, 'module', model)
        metrics = run_ttt_stream(
            OnlineTTT(model, mode=self.mode, **self.ttt_cfg),
            self.dataloader.dataset, self.evaluator,
            osp.join(self.runner.work_dir, self.log_dir),
            state_path=osp.join(self.runner.work_dir, STATE_FILE),
            collate_fn=getattr(self.dataloader, 'collate_fn', None),
            predict_all=self.predict_all,
            checkpoint_interval=self.checkpoint_interval,
            resume=self.resume, stop_after=self.stop_after)
        self.runner.call_hook('after_test_epoch', metrics=metrics)
        self.runner.call_hook('after_test')
        return metrics


def _videos(dataset) -> List[tuple]:
    """``[(video_id, [dataset index, ...]), ...]`` in dataset order."""
    out: List[tuple] = []
    for i in range(len(dataset)):
        vid = str(dataset.get_data_info(i)['video_id'])
        if not out or out[-1][0] != vid:
            if any(v == vid for v, _ in out):
                raise ValueError(f'video {vid!r} is not contiguous in the '
                                 'stream dataset (frames must be ordered by '
                                 'video, then frame)')
            out.append((vid, []))
        out[-1][1].append(i)
    return out


def run_ttt_stream(ttt: OnlineTTT, dataset, evaluator: Evaluator,
                   log_dir: str, state_path: Optional[str] = None,
                   collate_fn=None, predict_all: bool = False,
                   checkpoint_interval: int = 0, resume: bool = False,
                   stop_after: Optional[int] = None) -> Dict[str, Any]:
    """Run :class:`OnlineTTT` over every video of ``dataset``.

    Returns the evaluator's metrics (empty when stopped by
    ``stop_after``) plus ``frames``, the number of frames processed.
    """
    collate_fn = collate_fn or pseudo_collate
    os.makedirs(log_dir, exist_ok=True)
    videos = _videos(dataset)
    if not videos:
        raise ValueError(f'{type(dataset).__name__}: the stream has no '
                         'frames (check data_root / videos / splits)')
    start_v, start_f = 0, 0
    if resume and state_path and osp.isfile(state_path):
        state = torch.load(state_path, map_location='cpu',
                           weights_only=False)
        start_v, start_f = state['video_index'], state['frame_position']
        saved = state['ttt'].get('video')
        if start_v >= len(videos) or videos[start_v][0] != saved:
            raise ValueError(
                f'{state_path}: the saved loop state is at video {saved!r}, '
                'which is not at that position in this stream; delete the '
                'state file or resume with the same dataset')
        ttt.load_state_dict(state['ttt'])
        for metric, results in zip(evaluator.metrics, state['metrics']):
            metric.results = results
        _truncate_log(osp.join(log_dir, f'{videos[start_v][0]}.jsonl'),
                      state['logged'])
        print_log(f'OnlineTTT: resumed at video {videos[start_v][0]!r} '
                  f'frame position {start_f}', logger='current')
    done = 0
    for v in range(start_v, len(videos)):
        name, indices = videos[v]
        log_path = osp.join(log_dir, f'{name}.jsonl')
        first = start_f if v == start_v else 0
        if first == 0:
            ttt.start_video(name)
            open(log_path, 'w').close()
        for pos in range(first, len(indices)):
            if stop_after is not None and done >= stop_after:
                return dict(frames=done)
            record = _frame(ttt, dataset, indices[pos], collate_fn,
                            evaluator, predict_all)
            with open(log_path, 'a') as f:
                f.write(json.dumps(dict(video=name, **record)) + '\n')
            done += 1
            if state_path and checkpoint_interval and \
                    done % checkpoint_interval == 0:
                _save_state(state_path, ttt, evaluator, v, pos + 1, pos + 1)
    metrics = evaluator.evaluate(max(
        1, max((len(m.results) for m in evaluator.metrics), default=1)))
    with open(osp.join(log_dir, 'summary.json'), 'w') as f:
        json.dump(dict(mode=ttt.mode, metrics=metrics), f, indent=1)
    if state_path and osp.isfile(state_path):
        os.remove(state_path)  # finished: nothing to resume
    return dict(metrics, frames=done)


def _frame(ttt: OnlineTTT, dataset, index: int, collate_fn,
           evaluator: Evaluator, predict_all: bool) -> dict:
    """Push, step, predict one frame; the frame's log record."""
    t0 = time.perf_counter()
    if ttt.device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(ttt.device)
    info = dataset.get_data_info(index)
    item = dataset[index]
    where = f'video {info["video_id"]!r} frame {info["frame_id"]} ' \
            f'({info.get("img_path", "")})'
    ttt.push(item['inputs'], info['frame_id'], where)
    step = ttt.step()
    evaluate = bool(info.get('evaluate', True))
    record = dict(frame_id=info['frame_id'], split=info.get('split'),
                  evaluated=evaluate,
                  loss_recon=step['loss_recon'],
                  ttt_time_s=step['ttt_time_s'], predict_time_s=0.0)
    if evaluate or predict_all:
        t1 = time.perf_counter()
        batch = collate_fn([item])
        outputs = ttt.predict(batch)
        record['predict_time_s'] = time.perf_counter() - t1
        if evaluate:
            starts = [len(m.results) for m in evaluator.metrics]
            evaluator.process(data_samples=outputs, data_batch=batch)
            for metric, start in zip(evaluator.metrics, starts):
                recs = frame_records(metric, start)
                if recs:
                    record['value'] = recs[0]['value']
    record.update(wall_s=time.perf_counter() - t0, rss_mb=current_rss_mb(),
                  peak_rss_mb=peak_rss_mb(),
                  gpu_peak_mb=gpu_peak_mb(ttt.device))
    return record


def _save_state(path: str, ttt: OnlineTTT, evaluator: Evaluator,
                video_index: int, frame_position: int, logged: int) -> None:
    state = dict(ttt=ttt.state_dict(), video_index=video_index,
                 frame_position=frame_position, logged=logged,
                 metrics=[list(m.results) for m in evaluator.metrics])
    tmp = path + '.tmp'
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic: a crash never leaves half a state


def _truncate_log(path: str, keep: int) -> None:
    """Keep the first ``keep`` lines of a per-frame log (resume)."""
    if not osp.isfile(path):
        return
    with open(path) as f:
        lines = f.readlines()[:keep]
    with open(path, 'w') as f:
        f.writelines(lines)
