# Copyright (c) mmvidseg contributors. All rights reserved.
"""Export wrapper of :class:`mmvidseg.models.Mask2FormerTTT` (Video-TTT)."""
from typing import Callable, ContextManager, List, Tuple

from torch import Tensor

from .base import ExportWrapper, as_tensors, patched, register_export_wrapper


@register_export_wrapper('Mask2FormerTTT')
class VideoTTTExport(ExportWrapper):
    """The segmentation network of Video-TTT's Y-model, frame by frame.

    Test-Time Training on Video Streams (Wang et al., 2023,
    arXiv 2307.05014; ``renwang435/video-ttt-release``): the 4-channel
    backbone on ``cat([img, ones])`` and the Mask2Former segmentation head
    (``panoptic_head``), i.e. what ``Mask2Former.predict`` computes before
    mmdet's upsampling to the batch input shape and the panoptic /
    instance / semantic fusion (``Mask2FormerTTTFusionHead``), which stay
    in Python. The frames of a clip are a batch of images.

    Not exported: the reconstruction head and the test-time training step
    (masked reconstruction loss, backward, optimiser step on the backbone
    and ``recon_head`` for every frame), which stay in PyTorch. A graph
    holds the weights it was exported with: the frozen model (the
    "baseline, frozen" rows of configs/video_ttt/README.md) or a snapshot
    after some TTT steps; online TTT (weights that change every frame)
    runs the PyTorch model.

    Frame count (batch) and ``H x W`` are dynamic.

    Returns:
        tuple: ``cls_logits (T, Q, K + 1)`` (no-object last) and
        ``mask_logits (T, Q, H/4, W/4)``.
    """
    output_names = ('cls_logits', 'mask_logits')
    dynamic_axes = {
        'cls_logits': {0: 'frames'},
        'mask_logits': {0: 'frames', 2: 'mask_h', 3: 'mask_w'}
    }

    def forward(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
        img = self.clip(inputs)  # (T, 3, H, W)
        feats = self.model.extract_feat(img)  # adds the ones channel
        # batch_data_samples is unused by Mask2FormerHead.forward
        cls_list, mask_list = self.model.panoptic_head(feats, None)
        return cls_list[-1], mask_list[-1]

    def delegate(self, run: Callable[..., List[Tensor]]) -> ContextManager:
        """``Mask2Former.predict`` (frozen weights) with ``extract_feat``
        passing the images through and the head's forward from ``run``."""

        def head_forward(img: Tensor, data_samples=None):
            cls, mask = as_tensors(run(img[None]), img)
            return [cls], [mask]

        return patched((self.model, 'extract_feat', lambda img: img),
                       (self.model.panoptic_head, 'forward', head_forward))
