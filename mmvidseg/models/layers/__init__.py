# Copyright (c) mmvidseg contributors. All rights reserved.
from .ops_layers import MSDeformAttnPixelDecoder, SingleRoIExtractor

__all__ = ['MSDeformAttnPixelDecoder', 'SingleRoIExtractor']
