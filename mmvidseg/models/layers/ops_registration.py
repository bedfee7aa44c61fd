# Copyright (c) mmvidseg contributors. All rights reserved.
"""Register mmvidseg's compiled-op modules into ``mmvidseg.registry.MODELS``.

* ``MultiScaleDeformableAttention`` (``mmvidseg.ops``) shadows mmcv's class
  in the ``mmvidseg`` scope.
* ``MSDeformAttnPixelDecoder`` below shadows mmdet's pixel decoder in the
  ``mmvidseg`` scope, so every Mask2Former-style config with
  ``default_scope='mmvidseg'`` (and ``type='MSDeformAttnPixelDecoder'``)
  runs its deformable attention on mmvidseg's CPU kernel.
"""
from mmdet.models.layers.msdeformattn_pixel_decoder import \
    MSDeformAttnPixelDecoder as MMDetMSDeformAttnPixelDecoder

from mmvidseg.ops import MultiScaleDeformableAttention, convert_ms_deform_attn
from mmvidseg.registry import MODELS

__all__ = ['MultiScaleDeformableAttention', 'MSDeformAttnPixelDecoder']


@MODELS.register_module()
class MSDeformAttnPixelDecoder(MMDetMSDeformAttnPixelDecoder):
    """mmdet's ``MSDeformAttnPixelDecoder`` on mmvidseg's deformable attention.

    Mask2Former (Cheng et al., CVPR 2022); the module is mmdet 3.3's
    ``mmdet/models/layers/msdeformattn_pixel_decoder.py`` unchanged, except
    that its encoder's ``mmcv.ops.MultiScaleDeformableAttention`` modules are
    switched to :class:`mmvidseg.ops.MultiScaleDeformableAttention`
    (:func:`mmvidseg.ops.convert_ms_deform_attn`) after construction: the
    C++ kernel on CPU, mmcv's CUDA kernel on GPU, the same parameters and
    state dict, so mmdet checkpoints load unchanged. Constructor arguments
    are mmdet's (passed through, so a misspelt one still raises).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        convert_ms_deform_attn(self.encoder)
