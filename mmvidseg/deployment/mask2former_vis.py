# Copyright (c) mmvidseg contributors. All rights reserved.
"""Export wrapper of mmdet 3.3's ``Mask2FormerVideo`` (Mask2Former-VIS)."""
from typing import Callable, ContextManager, List, Tuple

from torch import Tensor

from .base import ExportWrapper, as_tensors, patched, register_export_wrapper


@register_export_wrapper('Mask2FormerVideo')
class Mask2FormerVISExport(ExportWrapper):
    """Backbone + pixel decoder + transformer decoder of Mask2Former-VIS.

    Mask2Former for Video Instance Segmentation (Cheng et al., 2021,
    https://arxiv.org/abs/2112.10764); the model is mmdet 3.3's
    ``Mask2FormerVideo`` / ``Mask2FormerTrackHead``. The outputs are the last
    decoder layer's predictions that ``Mask2FormerTrackHead.predict`` reads;
    its top-k over queries x classes, mask upsampling to the input and
    original size and thresholding stay in Python.

    Returns:
        tuple: ``cls_logits (1, Q, K + 1)`` (no-object last) and
        ``mask_logits (1, Q, T, H/4, W/4)``.
    """
    output_names = ('cls_logits', 'mask_logits')
    dynamic_axes = {'mask_logits': {2: 'frames', 3: 'mask_h', 4: 'mask_w'}}

    def forward(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
        img = self.clip(inputs)  # (T, 3, H, W)
        feats = self.model.backbone(img)
        # data_samples is unused by the forward pass at test time
        cls_list, mask_list = self.model.track_head(feats, None)
        return cls_list[-1], mask_list[-1]

    def delegate(self, run: Callable[..., List[Tensor]]) -> ContextManager:
        """``Mask2FormerVideo.predict`` with the backbone passing the clip
        through and the track head's forward computed by ``run``."""
        head = self.model.track_head

        def head_forward(img: Tensor, data_samples=None):
            cls, mask = as_tensors(run(img[None]), img)  # img (T, 3, H, W)
            return [cls], [mask]

        return patched((self.model.backbone, 'forward', lambda img: img),
                       (head, 'forward', head_forward))
