# Copyright (c) mmvidseg contributors. All rights reserved.
import pytest
import torch
from mmdet.testing import demo_track_inputs

from mmvidseg.models.data_preprocessors import VideoDataPreprocessor


def _batch(num_frames=(2, 2), shapes=((3, 30, 40), (3, 36, 20))):
    items = [demo_track_inputs(1, t, image_shapes=s)
             for t, s in zip(num_frames, shapes)]
    return dict(inputs=[d['inputs'][0] for d in items],
                data_samples=[d['data_samples'][0] for d in items])


def test_stacks_pads_and_normalises():
    pre = VideoDataPreprocessor(mean=[10., 20., 30.], std=[2., 2., 2.],
                                bgr_to_rgb=True, pad_size_divisor=8)
    data = _batch()
    raw = data['inputs'][0].clone()
    out = pre(data)
    x = out['inputs']
    assert x.shape == (2, 2, 3, 40, 40)  # (N, T, C, H, W), padded to /8
    # channel 0 of the output is the input's channel 2 (BGR -> RGB)
    expect = (raw[:, 2].float() - 10.) / 2.
    assert torch.allclose(x[0, :, 0, :30, :40], expect)
    assert (x[0, :, :, 30:, :] == 0).all()  # zero padding after normalising
    for frame in out['data_samples'][1]:
        assert frame.batch_input_shape == (40, 40)
        assert frame.pad_shape == (40, 24)


def test_rejects_malformed_batches():
    pre = VideoDataPreprocessor(mean=[0., 0., 0.], std=[1., 1., 1.])
    with pytest.raises(ValueError, match='same num_frames'):
        pre(_batch(num_frames=(2, 3)))
    data = _batch()
    data['inputs'][1] = data['inputs'][1][:, :1]
    with pytest.raises(ValueError, match=r'expected a clip of shape \(T, 3'):
        pre(data)
    data = _batch()
    data['data_samples'][0].video_data_samples.pop()
    with pytest.raises(ValueError, match='2 frames but 1 frame data samples'):
        pre(data)
