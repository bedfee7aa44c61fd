# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS VPS assembly on hand-made clips (stride 1, no padding)."""
import pytest
import torch

from mmvidseg.models.trackers import (TarViSSemanticAccumulator,
                                      TarViSVPSAssembler)
from mmvidseg.models.trackers.tarvis_vps import filter_thing_tracks
from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

register_all_modules()

H, W = 4, 6
C = 4  # labels 0, 1 stuff; 2, 3 things
THINGS = (2, 3)


def semantic(*per_frame_class: int, num_frames: int = 3) -> torch.Tensor:
    """(C, T, H, W) logits favouring one class per frame (+2 over 0)."""
    x = torch.zeros(C, num_frames, H, W)
    for t, c in enumerate(per_frame_class):
        x[c, t] = 2.
    x[2] = 50.  # a thing class: always suppressed in the stuff map
    return x


def thing(x0: int, x1: int, t0: int = 0, t1: int = 3) -> torch.Tensor:
    m = torch.full((3, H, W), -4.)
    m[t0:t1, :, x0:x1] = 4.
    return m


def test_semantic_overlap_average_and_thing_suppression():
    acc = TarViSSemanticAccumulator(THINGS, stride=1)
    acc.reset(5, (0, 0), (H, W))
    first = semantic(0, 0, 0)
    first[1, 2] = 1.  # frame 2: class 0 (2.0) over class 1 (1.0)
    second = semantic(1, 1, 1)
    second[0, 0] = 0.5  # frame 2: class 1 (2.0) over class 0 (0.5)
    acc.add_clip(first, [0, 1, 2])
    acc.add_clip(second, [2, 3, 4])
    maps = acc.finalize()
    # frame 2 averages: class 0 (2 + 0.5) / 2 < class 1 (1 + 2) / 2
    assert [int(m[0, 0]) for m in maps] == [0, 0, 1, 1, 1]
    assert all(not (m == 2).any() for m in maps)


def test_semantic_missing_frames():
    acc = TarViSSemanticAccumulator(THINGS, stride=1)
    acc.reset(4, (0, 0), (H, W))
    acc.add_clip(semantic(0, 0, 0), [0, 1, 2])
    with pytest.raises(RuntimeError, match='frames \\[3\\]'):
        acc.finalize()


def test_filter_thing_tracks():
    logits = {
        1: torch.tensor([0., -9., -9., 6., -9.]),  # thing 2, p ~ 1
        2: torch.tensor([0., 6., -9., -9., -9.]),  # stuff 0 -> dropped
        3: torch.tensor([3., -9., -9., 2., -9.]),  # background -> dropped
        4: torch.tensor([0., -9., -9., -9., 0.5]),  # thing 3, p = 0.62
        5: torch.tensor([-.1, -9., -9., 0., .05]),  # thing 3, p 0.36
    }
    scores, labels = filter_thing_tracks(logits, THINGS, 0.5, 1000)
    assert labels == {1: 2, 4: 3}
    assert scores[4] == pytest.approx(0.6225, abs=1e-3)
    scores, labels = filter_thing_tracks(logits, THINGS, 0.5, 1)
    assert list(labels) == [1]
    assert filter_thing_tracks({}, THINGS, 0.5, 10) == ({}, {})


def test_vps_panoptic_maps():
    vps = MODELS.build(dict(type='TarViSVPSAssembler', thing_classes=THINGS,
                            stride=1, track_score_threshold=0.0))
    assert vps.output_field == 'pred_panoptic_seg'
    vps.reset(3, (0, 0), (H, W))
    masks = torch.stack([thing(0, 3), thing(2, 5), thing(5, 6)])
    cls = torch.tensor([[0., -9., -9., 4., -9.],  # thing label 2, p 0.98
                        [0., -9., -9., -9., 6.],  # thing label 3, p 0.998
                        [0., 5., -9., -9., -9.]])  # stuff class: dropped
    vps.add_clip(dict(mask_logits=masks, class_logits=cls,
                      semantic_logits=semantic(1, 1, 1)), [0, 1, 2])
    frames = vps.finalize()
    assert len(frames) == 3
    pan = frames[0].sem_seg[0]
    assert pan.shape == (H, W) and pan.dtype == torch.int64
    label, inst = pan % 1000, pan // 1000
    # track 2 (higher score) is pasted last: it owns column 2
    assert inst[:, :2].eq(1).all() and label[:, :2].eq(2).all()
    assert inst[:, 2:5].eq(2).all() and label[:, 2:5].eq(3).all()
    # the dropped track's pixels keep the stuff label (1), instance 0
    assert label[:, 5].eq(1).all() and inst[:, 5].eq(0).all()
    assert vps.track_labels == {1: 2, 2: 3}


def test_vps_video_without_things():
    vps = TarViSVPSAssembler(THINGS, stride=1)
    vps.reset(3, (0, 0), (H, W))
    vps.add_clip(dict(mask_logits=thing(0, 2)[None],
                      class_logits=torch.tensor([[5., -9., -9., -9., -9.]]),
                      semantic_logits=semantic(0, 1, 0)), [0, 1, 2])
    frames = vps.finalize()
    # documented output: pure stuff maps, every instance id 0
    assert [int(f.sem_seg.max()) for f in frames] == [0, 1, 0]
    assert vps.track_labels == {}


def test_vps_needs_semantic_logits():
    vps = TarViSVPSAssembler(THINGS, stride=1)
    vps.reset(3, (0, 0), (H, W))
    with pytest.raises(KeyError, match='semantic_logits'):
        vps.add_clip(dict(mask_logits=thing(0, 2)[None],
                          class_logits=torch.zeros(1, 5)), [0, 1, 2])


def test_empty_overlap_masks_link():
    """Official quirk: IoU = (I + 1) / (U + 1) is 1 for two masks that are
    both empty on the overlap frames, so a track that ended before the
    overlap is continued by one that starts after it."""
    vps = TarViSVPSAssembler(THINGS, stride=1, track_score_threshold=0.)
    vps.reset(5, (0, 0), (H, W))
    cls = torch.tensor([[0., -9., -9., 6., -9.]])
    vps.add_clip(dict(mask_logits=thing(0, 2, 0, 1)[None], class_logits=cls,
                      semantic_logits=semantic(0, 0, 0)), [0, 1, 2])
    vps.add_clip(dict(mask_logits=thing(3, 5, 2, 3)[None], class_logits=cls,
                      semantic_logits=semantic(0, 0, 0)), [2, 3, 4])
    inst = [m[1] for m in vps.finalize_maps()]
    assert inst[0][:, 0].eq(1).all() and inst[4][:, 3].eq(1).all()
    assert [int(i.max()) for i in inst] == [1, 0, 0, 0, 1]


def test_gt_logits_through_assembler_score_perfectly(toy_root):
    """Toy KITTI-STEP ground truth turned into ideal clip logits (clips of
    3 frames overlapping by 1), assembled and scored by STQMetric /
    VPQMetric: the assembly keeps every thing's identity across clips."""
    from mmvidseg.datasets import KITTISTEPDataset
    from mmvidseg.datasets.toy.metainfo import KITTI_STEP_METAINFO
    from mmvidseg.evaluation.metrics import STQMetric, VPQMetric
    from mmvidseg.models.trackers import clip_frame_ids
    pipeline = [
        dict(type='TransformBroadcaster', transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadVideoPanopticAnnotations', with_panoptic=True)]),
        dict(type='PackVideoPanopticInputs')]
    ds = KITTISTEPDataset(
        data_root=str(toy_root / 'kitti_step'), split='val', test_mode=True,
        metainfo=dict(classes=KITTI_STEP_METAINFO['classes'],
                      thing_ids=KITTI_STEP_METAINFO['thing_ids']),
        pipeline=pipeline)
    things = ds.metainfo['thing_ids']
    num_classes = len(ds.metainfo['classes'])
    stq, vpq = STQMetric(), VPQMetric(window_convention='vipseg')
    stq.dataset_meta = vpq.dataset_meta = ds.metainfo
    for i in range(len(ds)):
        sample = ds[i]['data_samples']
        frames = sample.video_data_samples
        pan = torch.stack([f.gt_panoptic_seg.sem_seg[0] for f in frames])
        label = pan % 1000  # (T, H, W)
        keys = [k for k in torch.unique(pan).tolist() if k // 1000 > 0]
        vps = TarViSVPSAssembler(things, stride=1)
        vps.reset(len(frames), (0, 0), tuple(pan.shape[1:]))
        for ids in clip_frame_ids(len(frames), 3, 1):
            masks = torch.stack([pan[ids] == k for k in keys])  # (Q, T, h, w)
            cls = torch.full((len(keys), 1 + num_classes), -9.)
            cls[torch.arange(len(keys)),
                1 + torch.tensor([k % 1000 for k in keys])] = 9.
            sem = torch.nn.functional.one_hot(
                label[ids], num_classes).permute(3, 0, 1, 2).float()
            vps.add_clip(dict(mask_logits=torch.where(masks, 5., -5.),
                              class_logits=cls, semantic_logits=sem), ids)
        for frame, pred in zip(frames, vps.finalize()):
            frame.set_field(pred, vps.output_field)
        stq.process({}, [sample])
        vpq.process({}, [sample])
    assert stq.compute_metrics(stq.results) == dict(STQ=1.0, AQ=1.0, SQ=1.0)
    assert vpq.compute_metrics(vpq.results)['VPQ_nframes4'] == \
        pytest.approx(100.)
