# Copyright (c) mmvidseg contributors. All rights reserved.
"""Render predicted tracks of test videos to mp4 / gif files."""
import os.path as osp
from typing import Optional, Sequence

import mmcv
from mmengine.hooks import Hook

from mmvidseg.registry import HOOKS
from mmvidseg.visualization import VideoVisualizer, write_video


@HOOKS.register_module()
class VideoRenderHook(Hook):
    """Write each test video with its predicted tracks drawn on it.

    Reads ``pred_track_instances`` (``masks`` at original size,
    ``instances_id``, ``labels``, ``scores``) of every frame of the
    ``TrackDataSample`` outputs, loads the frames from ``img_path`` and writes
    ``<out_dir>/<video_id>.<fmt>``.

    Args:
        out_dir (str): Output folder.
        formats (Sequence[str]): Any of ``'mp4'``, ``'gif'``.
        max_videos (int, optional): Render at most this many videos.
        score_thr (float): Tracks below this score are not drawn.
        fps (float): Frames per second of the written files.
        min_size (int): Upscale small frames so the short side is at least
            this (toy data is 96 px).
    """

    priority = 'LOW'

    def __init__(self,
                 out_dir: str,
                 formats: Sequence[str] = ('mp4', ),
                 max_videos: Optional[int] = None,
                 score_thr: float = 0.3,
                 fps: float = 4.0,
                 min_size: int = 0) -> None:
        self.out_dir = out_dir
        self.formats = tuple(formats)
        self.max_videos = max_videos
        self.score_thr = score_thr
        self.fps = fps
        self.min_size = min_size
        self.written = []
        self._count = 0

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs=None) -> None:
        classes = runner.test_dataloader.dataset.metainfo.get('classes')
        vis = VideoVisualizer(classes, score_thr=self.score_thr)
        for video in outputs or []:
            if self.max_videos is not None and \
                    self._count >= self.max_videos:
                return
            frames, insts = [], []
            for frame in video:
                frames.append(mmcv.imread(frame.img_path))
                insts.append(frame.pred_track_instances.cpu())
            drawn = vis.draw_video(frames, insts)
            name = str(video[0].metainfo.get('video_id', self._count))
            for fmt in self.formats:
                path = osp.join(self.out_dir, f'{name}.{fmt}')
                self.written.append(
                    write_video(drawn, path, fps=self.fps,
                                min_size=self.min_size))
            self._count += 1
