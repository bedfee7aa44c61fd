# Copyright (c) mmvidseg contributors. All rights reserved.
"""Export wrapper of :class:`mmvidseg.models.MTTR` (text + video inputs)."""
from typing import Callable, ContextManager, Dict, List, Optional, Tuple

import torch
from torch import Tensor

from .base import ExportWrapper, as_tensors, patched, register_export_wrapper


@register_export_wrapper('MTTR')
class MTTRExport(ExportWrapper):
    """Video Swin + RoBERTa + multimodal transformer + heads of one clip.

    End-to-End Referring Video Object Segmentation with Multimodal
    Transformers (Botach et al., CVPR 2022; ``mttr2021/MTTR``): the graph
    is ``MTTR._forward`` for one clip and one expression, last decoder
    layer: the backbone on every frame, the text encoder (RoBERTa) on the
    token ids, the multimodal transformer, the FPN spatial decoder and the
    mask / is-referred heads.

    Inputs: ``inputs (1, T, 3, H, W)``; ``input_ids`` and
    ``attention_mask`` ``(1, S)`` int64 (RoBERTa's tokenizer output,
    ``MTTRTextEncoder.tokenize``); ``pad_mask (1, T, H, W)`` bool (True on
    the preprocessor's padding, ``MTTR._pad_mask``).

    Tokenisation stays in Python: byte-level BPE is string processing that
    standard ONNX ops cannot express (it would need onnxruntime-extensions'
    custom ops), and it costs microseconds next to the network. RoBERTa is
    inside the graph (plain transformer ops), so a deployment needs only
    the tokenizer files (``vocab.json`` / ``merges.txt``) besides the graph.
    Frame selection (``is_annotated``), the choice of the referred query
    and the mask upsampling / thresholding stay in Python.

    The token count ``S`` is dynamic. Frame count and ``H x W`` are fixed
    at export: the Video Swin backbone pads to its window and builds its
    shifted-window masks from Python ints of the input size, which tracing
    bakes into constants.

    Returns:
        tuple: ``is_referred (1, T, Q, 2)`` logits (index 0 = referred) and
        ``mask_logits (1, T, Q, H/4, W/4)``.
    """
    input_names = ('inputs', 'input_ids', 'attention_mask', 'pad_mask')
    output_names = ('is_referred', 'mask_logits')
    dynamic_axes = {
        'input_ids': {1: 'tokens'},
        'attention_mask': {1: 'tokens'},
    }
    free_axes = ('tokens', )
    dynamic_frames = False
    dynamic_size = False  # see the class docstring
    #: the sentence that example_inputs tokenises (any sentence works)
    example_text = 'the red square moving left'

    @property
    def text_encoder(self):
        return self.model.head.transformer.text_encoder

    def tokens(self, text: str, device: torch.device) -> Dict[str, Tensor]:
        """``input_ids`` / ``attention_mask`` (1, S) of one expression."""
        return self.text_encoder.tokenize([text], device)

    def example_inputs(self, inputs: Tensor,
                       text: Optional[str] = None) -> Tuple[Tensor, ...]:
        clip = self.clip(inputs)[None]
        tok = self.tokens(text or self.example_text, clip.device)
        pad = clip.new_zeros((1, ) + clip.shape[1:2] + clip.shape[-2:],
                             dtype=torch.bool)
        return (clip, tok['input_ids'], tok['attention_mask'], pad)

    def forward(self, inputs: Tensor, input_ids: Tensor,
                attention_mask: Tensor,
                pad_mask: Tensor) -> Tuple[Tensor, Tensor]:
        clip = self.clip(inputs)[None]  # (1, T, 3, H, W)
        feats = self.model.backbone(clip)
        out = self.model.head(
            feats, pad_mask,
            dict(input_ids=input_ids, attention_mask=attention_mask))[-1]
        return out['pred_is_referred'], out['pred_masks']

    def delegate(self, run: Callable[..., List[Tensor]]) -> ContextManager:
        """``MTTR.predict`` (windows, query choice, masks) with
        ``MTTR._forward`` computed by ``run``, one clip at a time; the
        heads work frame by frame, so choosing the annotated frames after
        the graph equals choosing them before the heads."""
        model = self.model

        def _forward(inputs: Tensor, data_samples, frames=None):
            if frames is None:
                frames = model.annotated_frames(data_samples)
            pad = model._pad_mask(data_samples, inputs.shape, inputs.device)
            referred, masks = [], []
            for i, sample in enumerate(data_samples):
                tok = self.tokens(model._text(sample, i), inputs.device)
                r, m = as_tensors(
                    run(inputs[i:i + 1], tok['input_ids'],
                        tok['attention_mask'], pad[i:i + 1]), inputs)
                referred.append(r)
                masks.append(m)
            keep = torch.as_tensor(frames, device=inputs.device)
            return [
                dict(pred_is_referred=torch.cat(referred).index_select(
                    1, keep),
                     pred_masks=torch.cat(masks).index_select(1, keep))
            ]

        return patched((model, '_forward', _forward))
