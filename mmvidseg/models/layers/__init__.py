# Copyright (c) mmvidseg contributors. All rights reserved.
from .ops_layers import MSDeformAttnPixelDecoder, SingleRoIExtractor
from .position_encoding_3d import PositionEmbeddingSine3D

__all__ = [
    'MSDeformAttnPixelDecoder', 'SingleRoIExtractor', 'PositionEmbeddingSine3D'
]
