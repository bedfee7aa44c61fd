# Copyright (c) mmvidseg contributors. All rights reserved.
"""MTTR multimodal transformer: DETR layers over [video ; text] tokens."""
import copy
import math
import warnings
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from .mttr_tokenizer import build_roberta_tokenizer

# roberta-base (the model MTTR uses); RobertaConfig's own defaults differ
# (512 positions, 2 token types, LayerNorm eps 1e-12).
ROBERTA_BASE_CONFIG = dict(
    vocab_size=50265, hidden_size=768, num_hidden_layers=12,
    num_attention_heads=12, intermediate_size=3072,
    max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5,
    pad_token_id=1, bos_token_id=0, eos_token_id=2)


def sine_position_embedding_2d(mask: Tensor, dim: int,
                               temperature: float = 10000.,
                               scale: float = 2 * math.pi) -> Tensor:
    """Normalised 2D sine embedding (``PositionEmbeddingSine2D``).

    Args:
        mask (Tensor): (N, H, W) bool, True on padding.
        dim (int): Output channels (half for y, then half for x).

    Returns:
        Tensor: (N, H, W, dim).
    """
    num_feats = dim // 2
    not_mask = ~mask
    y_embed = not_mask.cumsum(1, dtype=torch.float32)
    x_embed = not_mask.cumsum(2, dtype=torch.float32)
    eps = 1e-6
    y_embed = y_embed / (y_embed[:, -1:, :] + eps) * scale
    x_embed = x_embed / (x_embed[:, :, -1:] + eps) * scale
    dim_t = torch.arange(num_feats, dtype=torch.float32, device=mask.device)
    dim_t = temperature**(2 * (dim_t // 2) / num_feats)
    pos_x = x_embed[..., None] / dim_t  # (N, H, W, F)
    pos_y = y_embed[..., None] / dim_t
    pos_x = torch.stack((pos_x[..., 0::2].sin(), pos_x[..., 1::2].cos()),
                        dim=4).flatten(3)
    pos_y = torch.stack((pos_y[..., 0::2].sin(), pos_y[..., 1::2].cos()),
                        dim=4).flatten(3)
    return torch.cat((pos_y, pos_x), dim=3)


class FeatureResizer(nn.Module):
    """Linear -> LayerNorm (eps 1e-12) -> dropout (text 768 -> d_model)."""

    def __init__(self, in_dim: int, out_dim: int,
                 dropout: float = 0.1) -> None:
        super().__init__()
        self.fc = nn.Linear(in_dim, out_dim)
        self.layer_norm = nn.LayerNorm(out_dim, eps=1e-12)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.layer_norm(self.fc(x)))


class _FFN(nn.Module):
    """Post-norm FFN part shared by the DETR layers (names as checkpoints)."""

    def _ffn(self, x: Tensor) -> Tensor:
        return self.linear2(self.dropout(F.relu(self.linear1(x))))


class MTTREncoderLayer(_FFN):
    """DETR post-norm encoder layer (sequence-first tensors)."""

    def __init__(self, d_model: int, nheads: int, dim_feedforward: int,
                 dropout: float) -> None:
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nheads, dropout=dropout)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self, src: Tensor, key_padding_mask: Tensor,
                pos: Tensor) -> Tensor:
        """src, pos: (S, N, C); key_padding_mask: (N, S)."""
        q = k = src + pos
        src = self.norm1(src + self.dropout1(
            self.self_attn(q, k, value=src,
                           key_padding_mask=key_padding_mask)[0]))
        return self.norm2(src + self.dropout2(self._ffn(src)))


class MTTRDecoderLayer(_FFN):
    """DETR post-norm decoder layer (self, cross, FFN)."""

    def __init__(self, d_model: int, nheads: int, dim_feedforward: int,
                 dropout: float) -> None:
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nheads, dropout=dropout)
        self.multihead_attn = nn.MultiheadAttention(
            d_model, nheads, dropout=dropout)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)

    def forward(self, tgt: Tensor, memory: Tensor, key_padding_mask: Tensor,
                pos: Tensor, query_pos: Tensor) -> Tensor:
        """tgt, query_pos: (Q, N, C); memory, pos: (S, N, C)."""
        q = k = tgt + query_pos
        tgt = self.norm1(tgt + self.dropout1(
            self.self_attn(q, k, value=tgt)[0]))
        tgt2 = self.multihead_attn(
            query=tgt + query_pos, key=memory + pos, value=memory,
            key_padding_mask=key_padding_mask)[0]
        tgt = self.norm2(tgt + self.dropout2(tgt2))
        return self.norm3(tgt + self.dropout3(self._ffn(tgt)))


class MTTRTransformerEncoder(nn.Module):
    """Stack of encoder layers, no final norm."""

    def __init__(self, layer: nn.Module, num_layers: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            [copy.deepcopy(layer) for _ in range(num_layers)])

    def forward(self, src: Tensor, key_padding_mask: Tensor,
                pos: Tensor) -> Tensor:
        for layer in self.layers:
            src = layer(src, key_padding_mask, pos)
        return src


class MTTRTransformerDecoder(nn.Module):
    """Stack of decoder layers; the shared final ``norm`` is applied to
    every layer's output (``return_intermediate``)."""

    def __init__(self, layer: nn.Module, num_layers: int,
                 d_model: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            [copy.deepcopy(layer) for _ in range(num_layers)])
        self.norm = nn.LayerNorm(d_model)

    def forward(self, tgt: Tensor, memory: Tensor, key_padding_mask: Tensor,
                pos: Tensor, query_pos: Tensor) -> Tensor:
        """Returns: (L, Q, N, C)."""
        outs = []
        for layer in self.layers:
            tgt = layer(tgt, memory, key_padding_mask, pos, query_pos)
            outs.append(self.norm(tgt))
        return torch.stack(outs)


class MTTRTextEncoder(nn.Module):
    """RoBERTa (HF ``transformers``) built from a config, plus tokenizer.

    Args:
        roberta_config (dict): ``RobertaConfig`` kwargs. Defaults to
            roberta-base (:data:`ROBERTA_BASE_CONFIG`).
        tokenizer (str | dict | None): a local folder with ``vocab.json`` and
            ``merges.txt`` (``RobertaTokenizerFast.from_pretrained``, local
            files only), kwargs of ``RobertaTokenizerFast`` (e.g.
            ``vocab_file`` / ``merges_file``), ``dict(corpus=[...],
            vocab_size=N)`` (a byte-level BPE trained on those sentences,
            see :mod:`.mttr_tokenizer`), or None (then ``forward`` needs
            token ids). Built on first use.
        freeze (bool): no gradients to RoBERTa (official default). Dropout
            inside RoBERTa still follows ``train()`` as in the official code.
        pretrained (str, optional): a local Hugging Face folder (e.g. a
            downloaded ``roberta-base``) to load config and weights from
            (``local_files_only``; the official ``from_pretrained``). Not
            needed when a converted MTTR checkpoint is loaded afterwards.
    """

    def __init__(self,
                 roberta_config: Optional[dict] = None,
                 tokenizer: Union[str, dict, None] = None,
                 freeze: bool = True,
                 pretrained: Optional[str] = None) -> None:
        super().__init__()
        from transformers import RobertaConfig, RobertaModel
        if pretrained is not None:
            if roberta_config is not None:
                raise ValueError('MTTRTextEncoder: give roberta_config or '
                                 'pretrained (its config.json), not both')
            self.model = RobertaModel.from_pretrained(
                pretrained, add_pooling_layer=False, local_files_only=True)
        else:
            config = RobertaConfig(**(roberta_config or ROBERTA_BASE_CONFIG))
            self.model = RobertaModel(config, add_pooling_layer=False)
        self.hidden_size = self.model.config.hidden_size
        self.freeze = freeze
        if freeze:
            self.model.requires_grad_(False)
        self._tokenizer_spec = tokenizer
        self._tokenizer = None

    @property
    def tokenizer(self):
        """The ``RobertaTokenizerFast``, built on first use (a folder given
        in a config need not exist to build the model); None if not set."""
        if self._tokenizer is None and self._tokenizer_spec is not None:
            self._tokenizer = build_roberta_tokenizer(self._tokenizer_spec)
            if len(self._tokenizer) > self.model.config.vocab_size:
                raise ValueError(
                    f'MTTRTextEncoder: the tokenizer has '
                    f'{len(self._tokenizer)} tokens, the text encoder\'s '
                    f'vocab_size is {self.model.config.vocab_size}; raise '
                    'roberta_config.vocab_size')
        return self._tokenizer

    @property
    def max_length(self) -> int:
        """Longest token sequence RoBERTa can embed: its position ids start
        at ``pad_token_id + 1`` (512 for roberta-base)."""
        cfg = self.model.config
        return cfg.max_position_embeddings - cfg.pad_token_id - 1

    def tokenize(self, texts: Sequence[str],
                 device: torch.device) -> Dict[str, Tensor]:
        """Pad to the longest text, as the official ``forward_text``.

        Texts longer than :attr:`max_length` tokens are truncated with a
        warning (the official code would fail on the position embedding).
        """
        if self.tokenizer is None:
            raise RuntimeError('MTTRTextEncoder: no tokenizer configured; '
                               'set text_encoder.tokenizer to a folder with '
                               'vocab.json and merges.txt')
        texts = list(texts)
        limit = self.max_length
        lengths = [len(ids) for ids in self.tokenizer(texts)['input_ids']]
        for text, n in zip(texts, lengths):
            if n > limit:
                warnings.warn(
                    f'MTTRTextEncoder: the expression {text[:60]!r}... has '
                    f'{n} tokens, more than the text encoder takes ({limit}'
                    '); it is truncated', UserWarning)
        tokens = self.tokenizer(texts, padding='longest', truncation=True,
                                max_length=limit, return_tensors='pt')
        return {k: v.to(device) for k, v in tokens.items()}

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """Fail clearly when a checkpoint's RoBERTa has other sizes than the
        configured one (e.g. a roberta-base checkpoint into a tiny config)."""
        own = dict(self.model.named_parameters())
        for key, value in state_dict.items():
            if not key.startswith(prefix + 'model.'):
                continue
            name = key[len(prefix + 'model.'):]
            if name in own and tuple(own[name].shape) != tuple(value.shape):
                cfg = self.model.config
                raise ValueError(
                    f'MTTRTextEncoder: checkpoint key {key!r} has shape '
                    f'{tuple(value.shape)}, the configured text encoder '
                    f'{tuple(own[name].shape)} (hidden_size '
                    f'{cfg.hidden_size}, vocab_size {cfg.vocab_size}, '
                    f'max_position_embeddings '
                    f'{cfg.max_position_embeddings}); set '
                    'head.transformer.text_encoder.roberta_config to the '
                    "checkpoint's sizes (None = roberta-base, as the "
                    'released MTTR checkpoints)')
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, tokens: Dict[str, Tensor]) -> Tuple[Tensor, Tensor]:
        """Returns: last hidden state (B, S, 768), pad mask (B, S)."""
        with torch.set_grad_enabled(torch.is_grad_enabled()
                                    and not self.freeze):
            hidden = self.model(
                input_ids=tokens['input_ids'],
                attention_mask=tokens['attention_mask']).last_hidden_state
        return hidden, tokens['attention_mask'].ne(1)


class MTTRMultimodalTransformer(nn.Module):
    """The multimodal transformer of MTTR (``mttr2021/MTTR:
    models/multimodal_transformer.py::MultimodalTransformer``).

    Per frame, the encoder attends over ``[h*w video tokens ; S text
    tokens]`` (2D sine positions for video, zeros for text, one key-padding
    mask); the decoder runs ``num_queries`` object queries (``tgt = 0``,
    query positions shared by all frames) over all encoder tokens.

    Args:
        d_model (int): Defaults to 256.
        nheads (int): Defaults to 8.
        num_encoder_layers (int): Defaults to 3.
        num_decoder_layers (int): Defaults to 3.
        dim_feedforward (int): Defaults to 2048.
        dropout (float): Defaults to 0.1.
        text_encoder (dict): kwargs of :class:`MTTRTextEncoder`.
    """

    def __init__(self,
                 d_model: int = 256,
                 nheads: int = 8,
                 num_encoder_layers: int = 3,
                 num_decoder_layers: int = 3,
                 dim_feedforward: int = 2048,
                 dropout: float = 0.1,
                 text_encoder: Optional[dict] = None) -> None:
        super().__init__()
        self.d_model = d_model
        self.encoder = MTTRTransformerEncoder(
            MTTREncoderLayer(d_model, nheads, dim_feedforward, dropout),
            num_encoder_layers)
        self.decoder = MTTRTransformerDecoder(
            MTTRDecoderLayer(d_model, nheads, dim_feedforward, dropout),
            num_decoder_layers, d_model)
        for p in self.parameters():  # before the text encoder, as official
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        self.text_encoder = MTTRTextEncoder(**(text_encoder or {}))
        self.txt_proj = FeatureResizer(self.text_encoder.hidden_size, d_model,
                                       dropout)

    def forward(self, vid_embeds: Tensor, vid_pad_mask: Tensor,
                text: Union[Sequence[str], Dict[str, Tensor]],
                obj_queries: Tensor) -> Tuple[Tensor, Tensor, List[Tensor]]:
        """Args:
            vid_embeds (Tensor): (B, T, C, h, w) projected stage-3 features.
            vid_pad_mask (Tensor): (B, T, h, w) bool, True on padding.
            text (list[str] | dict): one expression per clip, or token ids
                (``input_ids`` / ``attention_mask``, (B, S)).
            obj_queries (Tensor): (Q, C) query position embeddings.

        Returns:
            tuple: decoder states (L, B, T, Q, C), video memory
            (B, T, C, h, w), per-frame text memory without padding
            (B*T tensors (S_i, C), clip-major).
        """
        b, t, c, h, w = vid_embeds.shape
        tokens = text if isinstance(text, dict) else \
            self.text_encoder.tokenize(text, vid_embeds.device)
        txt, txt_pad = self.text_encoder(tokens)  # (B, S, 768), (B, S)
        txt = self.txt_proj(txt)  # (B, S, C)
        txt = txt.repeat_interleave(t, dim=0).transpose(0, 1)  # (S, BT, C)
        txt_pad = txt_pad.repeat_interleave(t, dim=0)  # (BT, S)
        vid = vid_embeds.flatten(0, 1).flatten(2).permute(2, 0, 1)  # (hw, BT, C)
        vid_pad = vid_pad_mask.flatten(0, 1)  # (BT, h, w)
        src = torch.cat((vid, txt), dim=0)  # (hw + S, BT, C)
        key_pad = torch.cat((vid_pad.flatten(1), txt_pad), dim=1)
        vid_pos = sine_position_embedding_2d(vid_pad, self.d_model)
        pos = torch.cat((vid_pos.flatten(1, 2).transpose(0, 1),
                         torch.zeros_like(txt)), dim=0)  # (hw + S, BT, C)
        memory = self.encoder(src, key_pad, pos)
        vid_memory = memory[:h * w].permute(1, 2, 0).reshape(b, t, c, h, w)
        txt_memory = [
            m[~p] for m, p in zip(memory[h * w:].transpose(0, 1), txt_pad)
        ]
        query_pos = obj_queries.unsqueeze(1).repeat(1, b * t, 1)  # (Q, BT, C)
        hs = self.decoder(torch.zeros_like(query_pos), memory, key_pad, pos,
                          query_pos)  # (L, Q, BT, C)
        hs = hs.transpose(1, 2).unflatten(1, (b, t))  # (L, B, T, Q, C)
        return hs, vid_memory, txt_memory
