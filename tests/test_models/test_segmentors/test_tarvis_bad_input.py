# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS on bad input (issue 11 "Bad input"): a clip whose 1/32 feature map
has an odd side, a padding that cannot hold the temporal windows. The other
cases are tested beside their code: an unknown dataset name
(test_tarvis.py::test_unknown_dataset_is_named, test_tarvis_embedding_
container.py), panoptic PNG ids outside the category table and VPS videos
without things (tests/test_datasets/test_vps_dataset.py,
test_vps_bad_input.py, test_trackers/test_tarvis_vps.py)."""
import pytest
import torch

from .test_tarvis import build_tiny, make_clip

PRE = dict(
    type='VideoDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_mask=True,
    pad_size_divisor=64)


def test_odd_coarse_side_is_padded_to_64():
    """96 x 100 frames: 1/32 map 3 x 4 (odd height). Padded to 128 x 128
    as the reference (64-pixel windows), results at the original size."""
    model = build_tiny(data_preprocessor=PRE,
                       neck=dict(temporal_window_size=64)).eval()
    imgs, sample = make_clip(3, size=(96, 100))
    raw = (imgs * 60 + 100).clamp(0, 255).to(torch.uint8)
    for frame in sample.video_data_samples:
        frame.set_metainfo(dict(img_shape=(96, 100), ori_shape=(96, 100)))
    data = model.data_preprocessor(
        dict(inputs=[raw], data_samples=[sample]), False)
    assert tuple(data['inputs'].shape) == (1, 3, 3, 128, 128)
    with torch.no_grad():
        out = model.predict(data['inputs'], data['data_samples'])
        raw_out = model.predict_clip(
            model.fill_padding(data['inputs'], data['data_samples']),
            'TOY_YTVIS')
    frames = out[0].video_data_samples
    assert [tuple(f.pred_track_instances.masks.shape) for f in frames] == \
        [(10, 96, 100)] * 3
    assert tuple(raw_out['mask_logits'].shape) == (10, 3, 32, 32)


def test_padding_that_breaks_the_windows_is_refused():
    with pytest.raises(ValueError, match=r'pad_size_divisor=32.*'
                       r'temporal_window_size=64.*pad_size_divisor=64'):
        build_tiny(data_preprocessor=dict(PRE, pad_size_divisor=32),
                   neck=dict(temporal_window_size=64))
    # the neck itself names the fix when given such frames directly
    model = build_tiny(data_preprocessor=PRE,
                       neck=dict(temporal_window_size=64)).eval()
    clip = torch.rand(1, 2, 3, 96, 128)  # 1/32: 3 x 4
    with pytest.raises(ValueError, match='pad_to_multiple'):
        model.predict_clip(clip, 'TOY_YTVIS')
