# Copyright (c) mmvidseg contributors. All rights reserved.
from types import SimpleNamespace

import cv2
import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
from PIL import Image

from mmvidseg.engine.hooks.render_hook import VideoRenderHook
from mmvidseg.registry import HOOKS
from mmvidseg.utils import register_all_modules

register_all_modules()


def _video(tmp_path, video_id, num_frames=2, h=24, w=32):
    """Frames on disk and their predicted tracks: one square, score 0.9."""
    frames = []
    for t in range(num_frames):
        path = str(tmp_path / f'{video_id}_{t}.png')
        cv2.imwrite(path, np.zeros((h, w, 3), np.uint8))
        masks = torch.zeros(1, h, w, dtype=torch.bool)
        masks[0, 4:12, 4 + t:12 + t] = True
        sample = DetDataSample(metainfo=dict(img_path=path,
                                             video_id=video_id))
        sample.pred_track_instances = InstanceData(
            masks=masks, instances_id=torch.tensor([1]),
            labels=torch.tensor([0]), scores=torch.tensor([0.9]))
        frames.append(sample)
    return frames


def test_writes_one_file_per_video_and_format(tmp_path):
    out_dir = tmp_path / 'out'
    hook = HOOKS.build(dict(type='VideoRenderHook', out_dir=str(out_dir),
                            formats=('gif', ), max_videos=1, fps=2))
    assert isinstance(hook, VideoRenderHook)
    runner = SimpleNamespace(test_dataloader=SimpleNamespace(
        dataset=SimpleNamespace(metainfo=dict(classes=('a', )))))
    outputs = [_video(tmp_path, 'v1'), _video(tmp_path, 'v2')]
    hook.after_test_iter(runner, 0, outputs=outputs)
    # max_videos=1: the second video is not rendered
    assert hook.written == [str(out_dir / 'v1.gif')]
    with Image.open(hook.written[0]) as gif:
        assert gif.n_frames == 2 and gif.size == (32, 24)
        gif.seek(0)
        rgb = np.array(gif.convert('RGB'))
    # the track is drawn inside its mask, the background stays black
    assert rgb[8, 8].any() and not rgb[20, 28].any()
    hook.after_test_iter(runner, 1, outputs=[_video(tmp_path, 'v3')])
    assert len(hook.written) == 1
