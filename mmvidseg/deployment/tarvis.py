# Copyright (c) mmvidseg contributors. All rights reserved.
"""Export wrapper of TarViS (:class:`mmvidseg.models.TarViS`), VIS / VPS."""
from typing import Callable, ContextManager, List, Optional, Tuple

from torch import Tensor

from .base import ExportWrapper, as_tensors, patched, register_export_wrapper


@register_export_wrapper('TarViS')
class TarViSExport(ExportWrapper):
    """Backbone + temporal neck + decoder of one TarViS clip.

    TarViS: A Unified Approach for Target-based Video Segmentation (Athar et
    al., CVPR 2023); equals :meth:`TarViS.predict_clip` for the dataset
    chosen at export (``dataset_name``, default the model's). Filling the
    padding (``fill_padding``), splitting the video into clips and the
    linker (VIS / VPS) stay in Python. The VOS / PET task (object-encoder
    queries from first-frame masks) is not exported.

    The frame count is dynamic; ``H x W`` is fixed at export: the temporal
    neck derives its window grid, reference points and position
    embeddings from Python ints of the feature sizes, which tracing bakes
    into constants (another size runs but gives wrong outputs), so export
    once per padded input size.

    Returns:
        tuple: ``mask_logits (Q, T, H/4, W/4)``, ``class_logits (Q, 1 + C)``
        and ``semantic_logits (1 + C, T, H/4, W/4)`` (VPS: ``C``).
    """
    output_names = ('mask_logits', 'class_logits', 'semantic_logits')
    dynamic_axes = {
        'mask_logits': {
            1: 'frames',
            2: 'out_h',
            3: 'out_w'
        },
        'semantic_logits': {
            1: 'frames',
            2: 'out_h',
            3: 'out_w'
        }
    }
    size_divisor = 64
    dynamic_size = False  # see the class docstring

    def __init__(self, model, dataset_name: Optional[str] = None) -> None:
        super().__init__(model)
        self.dataset_name = dataset_name or model.dataset_name
        model.embedding_container.check_dataset(self.dataset_name)

    def forward(self, inputs: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        clip = self.clip(inputs)[None]  # (1, T, 3, H, W)
        out = self.model.predict_clip(clip, self.dataset_name)
        return (out['mask_logits'], out['class_logits'],
                out['semantic_logits'])

    def delegate(self, run: Callable[..., List[Tensor]]) -> ContextManager:
        """``TarViS.predict`` (clip splitting, padding fill, linker) with
        ``predict_clip`` computed by ``run`` for the exported dataset."""

        def predict_clip(clip: Tensor, dataset_name: str):
            if dataset_name != self.dataset_name:
                raise ValueError(
                    f'the graph was exported for dataset_name '
                    f'{self.dataset_name!r}, the model asks for '
                    f'{dataset_name!r}; export with that dataset')
            out = as_tensors(run(clip), clip)
            return dict(zip(self.output_names, out))

        return patched((self.model, 'predict_clip', predict_clip))
