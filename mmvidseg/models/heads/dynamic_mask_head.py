# Copyright (c) mmvidseg contributors. All rights reserved.
"""mmdet's QueryInst mask head with all mask targets of a batch in one call."""
from typing import List, Sequence

import torch
from mmcv.ops import roi_align
from mmdet.models.roi_heads.mask_heads import \
    DynamicMaskHead as MMDetDynamicMaskHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.structures.mask import BitmapMasks, mask_target
from mmdet.utils import ConfigType, InstanceList
from torch import Tensor
from torch.nn.modules.utils import _pair



def batched_mask_target(pos_proposals_list: Sequence[Tensor],
                        pos_assigned_gt_inds_list: Sequence[Tensor],
                        gt_masks_list: Sequence, cfg: ConfigType) -> Tensor:
    """mmdet's ``mask_target`` with one RoIAlign call for the whole batch.

    ``mmdet.structures.mask.mask_target`` crops and resizes the GT masks of
    each image separately (a numpy round trip and one ``roi_align`` call per
    image). When every image's GT masks are :class:`BitmapMasks` of one
    size (masks padded to the batch shape, as ``pad_mask=True`` does), this
    stacks them and crops all positives with one ``mmcv.ops.roi_align``
    call (mmcv's, not mmvidseg's kernel: with one channel per plane, mmcv's
    scalar loop is the faster one). Each target is computed exactly as
    mmdet does it (proposals clipped to the mask size in their dtype,
    ``roi_align(..., spatial_scale=1.0, sampling_ratio=0, 'avg',
    aligned=True)`` on the float mask, ``>= 0.5`` unless
    ``cfg.soft_mask_target``), and RoIAlign computes every RoI from its own
    plane only, so the result is identical; anything else falls back to
    mmdet's function.

    Args:
        pos_proposals_list (list[Tensor]): ``(n_i, 4)`` positive boxes of
            each image.
        pos_assigned_gt_inds_list (list[Tensor]): ``(n_i,)`` 0-based GT
            index of each positive.
        gt_masks_list (list[BitmapMasks]): GT masks of each image.
        cfg (dict): Needs ``mask_size``; optional ``soft_mask_target``.

    Returns:
        Tensor: ``(sum n_i, h, w)`` float32 targets (mmdet's are float32
        too, except that an image without positives turns float64
        proposals' targets into float64 through ``torch.cat``).
    """
    sizes = {(m.height, m.width) if isinstance(m, BitmapMasks) else None
             for m in gt_masks_list}
    if len(sizes) != 1 or None in sizes:
        return mask_target(pos_proposals_list, pos_assigned_gt_inds_list,
                           gt_masks_list, cfg)
    height, width = sizes.pop()
    mask_size = _pair(cfg.mask_size)
    binarize = not cfg.get('soft_mask_target', False)
    proposals = torch.cat(list(pos_proposals_list)).detach()
    device = proposals.device
    if proposals.size(0) == 0:
        return proposals.new_zeros((0, ) + mask_size, dtype=torch.float32)
    # plane index of each positive in the stacked GT masks of the batch
    offsets, start = [], 0
    for masks in gt_masks_list:
        offsets.append(start)
        start += len(masks)
    plane = torch.cat([
        inds.to(device) + offset
        for inds, offset in zip(pos_assigned_gt_inds_list, offsets)
    ])
    boxes = torch.stack([
        proposals[:, 0].clamp(0, width), proposals[:, 1].clamp(0, height),
        proposals[:, 2].clamp(0, width), proposals[:, 3].clamp(0, height)
    ], 1)
    rois = torch.cat([plane.to(boxes.dtype)[:, None], boxes], 1)
    planes = torch.cat([
        torch.from_numpy(masks.masks) for masks in gt_masks_list if len(masks)
    ]).to(device=device, dtype=boxes.dtype)[:, None]
    targets = roi_align(planes, rois, mask_size, 1.0, 0, 'avg',
                        True).squeeze(1)
    if binarize:
        targets = targets >= 0.5
    return targets.float()


class DynamicMaskHead(MMDetDynamicMaskHead):
    """mmdet's ``DynamicMaskHead`` (QueryInst) with batched mask targets.

    mmdet 3.3's ``mmdet/models/roi_heads/mask_heads/dynamic_mask_head.py``
    unchanged (same arguments, modules and state dict; it shadows mmdet's
    class in the ``mmvidseg`` scope, so TeViT configs use it as they are),
    except that :meth:`get_targets` crops the targets of all images with
    one RoIAlign call (:func:`batched_mask_target`, identical values).
    TeViT computes a mask loss in every stage for every frame of a batch,
    which made mmdet's per-image targets about 4 % of a CPU training
    iteration of the toy config.
    """

    def get_targets(self, sampling_results: List[SamplingResult],
                    batch_gt_instances: InstanceList,
                    rcnn_train_cfg: ConfigType) -> Tensor:
        return batched_mask_target(
            [res.pos_priors for res in sampling_results],
            [res.pos_assigned_gt_inds for res in sampling_results],
            [res.masks for res in batch_gt_instances], rcnn_train_cfg)
