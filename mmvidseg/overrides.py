# Copyright (c) mmvidseg contributors. All rights reserved.
"""The classes that shadow an mmdet / mmcv class of the same name.

Registered here and nowhere else. A config with ``default_scope='mmvidseg'``
that names one of these types builds mmvidseg's class; the upstream class
stays reachable with its scope (``type='mmdet.YouTubeVISMetric'``). This
module is listed in the ``locations`` of the registries concerned
(:mod:`mmvidseg.registry`) and imported by
:func:`mmvidseg.utils.register_all_modules`, so a shadow is in place before
the first name lookup.

===============================  ========  ==================================
name (defined in)                registry  why it shadows upstream
===============================  ========  ==================================
``MultiScaleDeformableAttention``  MODELS  C++ CPU kernel (mmcv falls back to
(``ops/ms_deform_attn.py``)                ``grid_sample`` on CPU); mmcv's
                                           CUDA kernel on GPU; same weights
``MSDeformAttnPixelDecoder``       MODELS  mmdet's Mask2Former pixel decoder
(``models/layers/ops_layers.py``)          on the class above
``SingleRoIExtractor``             MODELS  ``type='RoIAlign'`` builds
(``models/layers/ops_layers.py``)          mmvidseg's C++ RoIAlign
``DynamicMaskHead``                MODELS  batched mask targets for TeViT
(``models/heads/                           (one RoIAlign call per batch,
dynamic_mask_head.py``)                    identical values)
``YouTubeVISDataset``            DATASETS  official files of 2019 / 2021 /
(``datasets/youtube_vis.py``)              2022, validated with clear errors
``YouTubeVISMetric``              METRICS  exact official AP on numpy 2,
(``evaluation/metrics/                     submission zip and score in one
youtube_vis_metric.py``)                   pass
``LoadImageFromFile``          TRANSFORMS  a missing, truncated or
(``datasets/transforms/                    undecodable frame raises
loading.py``)                              ``CorruptFrameError`` (the
                                           dataset's ``on_corrupt_frame``
                                           policy decides)
``CheckpointHook``                  HOOKS  atomic save (a kill while saving
(``engine/hooks/                           never leaves a half file that
checkpoint_hook.py``)                      ``--resume`` picks up); old files
                                           removed after the new one is
                                           complete; saves the RNG state
``IterBasedTrainLoop``,             LOOPS  exact ``--resume``: the RNG state
``EpochBasedTrainLoop``                    is put back after the data
(``engine/runner/loops.py``)               loader is advanced
===============================  ========  ==================================
"""
from mmvidseg.datasets.transforms.loading import LoadImageFromFile
from mmvidseg.datasets.youtube_vis import YouTubeVISDataset
from mmvidseg.engine.hooks.checkpoint_hook import CheckpointHook
from mmvidseg.engine.runner.loops import (EpochBasedTrainLoop,
                                          IterBasedTrainLoop)
from mmvidseg.evaluation.metrics.youtube_vis_metric import YouTubeVISMetric
from mmvidseg.models.heads.dynamic_mask_head import DynamicMaskHead
from mmvidseg.models.layers.ops_layers import (MSDeformAttnPixelDecoder,
                                               SingleRoIExtractor)
from mmvidseg.ops import MultiScaleDeformableAttention
from mmvidseg.registry import (DATASETS, HOOKS, LOOPS, METRICS, MODELS,
                               TRANSFORMS)

SHADOWS = {
    MODELS: (MultiScaleDeformableAttention, MSDeformAttnPixelDecoder,
             SingleRoIExtractor, DynamicMaskHead),
    DATASETS: (YouTubeVISDataset, ),
    METRICS: (YouTubeVISMetric, ),
    HOOKS: (CheckpointHook, ),
    LOOPS: (IterBasedTrainLoop, EpochBasedTrainLoop),
    TRANSFORMS: (LoadImageFromFile, ),
}

for _registry, _classes in SHADOWS.items():
    for _cls in _classes:
        if _registry.module_dict.get(_cls.__name__) is not _cls:
            _registry.register_module(module=_cls)
