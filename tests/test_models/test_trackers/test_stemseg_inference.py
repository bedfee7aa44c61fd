# Copyright (c) mmvidseg contributors. All rights reserved.
import torch

from mmvidseg.models.trackers.stemseg_inference import (StemSegTestConfig,
                                                        run_clips)
from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

from ..test_segmentors._stemseg_tiny import tiny_cfg, track_sample

register_all_modules()


def test_short_video_padding():
    torch.manual_seed(0)
    model = MODELS.build(tiny_cfg(min_seediness_prob=0.0, fg_thr=0.0))
    model.eval()
    video = torch.randn(3, 3, 96, 96)
    cfg = StemSegTestConfig(clip_overlap=2)
    entries, sem_avg, fg = run_clips(model, video, cfg)
    assert len(entries) == 1 and entries[0]['frames'] == [0, 1, 2]
    # the clip is [0, 0, 1, 2]: frame 0 takes the output of its last copy
    with torch.no_grad():
        feats = model.extract_feat(video[[0, 0, 1, 2]])
        emb, sem = model.forward_heads(model.stack_clip(feats, 1, 4))
    got = entries[0]['embeddings']
    assert torch.allclose(got[:, 0], emb[0, :4, 1], atol=1e-5)
    assert torch.allclose(got[:, 2], emb[0, :4, 3], atol=1e-5)
    # semantic logits are averaged over both copies of frame 0
    assert torch.allclose(sem_avg[0], sem[0, :, :2].mean(1), atol=1e-5)
    assert fg.shape == (3, 24, 24)
    # a single-frame video works end to end
    res = model.predict(torch.randn(1, 1, 3, 96, 96), [track_sample(1)])
    assert len(list(res[0])) == 1
