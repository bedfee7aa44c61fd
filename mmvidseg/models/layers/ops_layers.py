# Copyright (c) mmvidseg contributors. All rights reserved.
"""mmdet modules switched to mmvidseg's compiled ops (registered, as the
shadows of mmdet's classes of the same names, in :mod:`mmvidseg.overrides`).

* ``MultiScaleDeformableAttention`` (``mmvidseg.ops``) shadows mmcv's class
  in the ``mmvidseg`` scope.
* ``MSDeformAttnPixelDecoder`` below shadows mmdet's pixel decoder in the
  ``mmvidseg`` scope, so every Mask2Former-style config with
  ``default_scope='mmvidseg'`` (and ``type='MSDeformAttnPixelDecoder'``)
  runs its deformable attention on mmvidseg's CPU kernel.
* ``SingleRoIExtractor`` below shadows mmdet's RoI extractor in the
  ``mmvidseg`` scope: ``roi_layer=dict(type='RoIAlign', ...)`` builds
  :class:`mmvidseg.ops.RoIAlign` (mmvidseg's CPU kernel), so RoI heads of
  configs with ``default_scope='mmvidseg'`` (TeViT) use it unchanged.
"""
from typing import List

from mmdet.models.layers.msdeformattn_pixel_decoder import \
    MSDeformAttnPixelDecoder as MMDetMSDeformAttnPixelDecoder
from mmdet.models.roi_heads.roi_extractors import \
    SingleRoIExtractor as MMDetSingleRoIExtractor
from mmdet.utils import ConfigType
from torch import nn

from mmvidseg.ops import RoIAlign, convert_ms_deform_attn

__all__ = ['MSDeformAttnPixelDecoder', 'SingleRoIExtractor']


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


class SingleRoIExtractor(MMDetSingleRoIExtractor):
    """mmdet's ``SingleRoIExtractor`` building mmvidseg's ``RoIAlign``.

    mmdet 3.3's ``mmdet/models/roi_heads/roi_extractors/
    single_level_roi_extractor.py`` unchanged (its RoI layers come from
    ``mmcv.ops`` by name in ``BaseRoIExtractor.build_roi_layers``), except
    that ``type='RoIAlign'`` resolves to :class:`mmvidseg.ops.RoIAlign`, a
    subclass of mmcv's with the same arguments and no parameters: the
    state dict is unchanged and every other layer type is mmcv's as before.
    """

    def build_roi_layers(self, layer_cfg: ConfigType,
                         featmap_strides: List[int]) -> nn.ModuleList:
        cfg = layer_cfg.copy()
        if cfg.get('type') == 'RoIAlign':
            cfg['type'] = RoIAlign
        return super().build_roi_layers(cfg, featmap_strides)
