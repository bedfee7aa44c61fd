import numpy as np
import pytest
import torch
from mmdet.structures.mask import BitmapMasks

from mmvidseg.structures.mask_tensors import padded_mask_tensor


def test_padded_mask_tensor_forms_pad_and_crop():
    m = np.zeros((2, 3, 4), np.uint8)
    m[0, 1, 2] = m[1, 2, 3] = 1
    for masks in (m, torch.from_numpy(m), BitmapMasks(m, 3, 4)):
        out = padded_mask_tensor(masks, 5, 6)
        assert out.dtype == torch.bool and out.shape == (2, 5, 6)
        assert out.sum() == 2 and out[0, 1, 2] and out[1, 2, 3]
        assert not out[:, 3:].any() and not out[:, :, 4:].any()
    cropped = padded_mask_tensor(m, 2, 3)  # (2, 2, 3): pixel (2, 3) cut off
    assert cropped.shape == (2, 2, 3) and cropped.sum() == 1
    with pytest.raises(ValueError, match='3x4 exceed the padded input 2x3'):
        padded_mask_tensor(m, 2, 3, crop=False)
    assert padded_mask_tensor(np.zeros((0, 3, 4)), 5, 6).shape == (0, 5, 6)
