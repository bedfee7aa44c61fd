# Copyright (c) mmvidseg contributors. All rights reserved.
from .mae_patches import random_patch_mask, unpatchify_recon
from .ops_layers import MSDeformAttnPixelDecoder, SingleRoIExtractor
from .position_encoding_3d import PositionEmbeddingSine3D

__all__ = [
    'random_patch_mask', 'unpatchify_recon',
    'MSDeformAttnPixelDecoder', 'SingleRoIExtractor', 'PositionEmbeddingSine3D'
]
