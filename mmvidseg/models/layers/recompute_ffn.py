# Copyright (c) mmvidseg contributors. All rights reserved.
"""mmcv ``FFN`` that recomputes its hidden activation in backward."""
from typing import List, Optional, Tuple

import torch
from mmcv.cnn.bricks.transformer import FFN
from torch import Tensor, nn
from torch.autograd import Function
from torch.autograd.function import once_differentiable


class _ReLUFFNFunction(Function):
    """``x + W2 relu(W1 x + b1) + b2`` saving only ``x`` for backward.

    Forward runs the same ops as the module (``addmm``, in-place ReLU,
    ``addmm``, residual add), so outputs are bit-identical to mmcv's
    ``FFN``; backward recomputes ``relu(W1 x + b1)`` (one extra GEMM)
    instead of keeping the ``(N, feedforward_channels)`` hidden tensor
    alive from forward to backward.
    """

    @staticmethod
    def forward(ctx, x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor,
                b2: Tensor) -> Tensor:
        x2 = x.reshape(-1, x.shape[-1])  # (N, C)
        hidden = torch.addmm(b1, x2, w1.t()).relu_()  # (N, F)
        out = torch.addmm(b2, hidden, w2.t())  # (N, C)
        ctx.save_for_backward(x, w1, b1, w2)
        return (x2 + out).view(x.shape)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor) -> Tuple[Optional[Tensor], ...]:
        x, w1, b1, w2 = ctx.saved_tensors
        need_x, need_w1, need_b1, need_w2, need_b2 = ctx.needs_input_grad
        x2 = x.reshape(-1, x.shape[-1])  # (N, C)
        g_out = grad.reshape(-1, grad.shape[-1])  # (N, C)
        hidden = torch.addmm(b1, x2, w1.t()).relu_()  # (N, F), recomputed
        g_w2 = g_out.t().mm(hidden) if need_w2 else None
        g_b2 = g_out.sum(0) if need_b2 else None
        # ReLU backward (threshold_backward): the gradient passes where the
        # output is positive; one (N, F) float tensor alive at a time
        blocked = hidden <= 0  # (N, F) bool
        del hidden
        g_hidden = g_out.mm(w2).masked_fill_(blocked, 0)
        del blocked
        g_w1 = g_hidden.t().mm(x2) if need_w1 else None
        g_b1 = g_hidden.sum(0) if need_b1 else None
        g_x = None
        if need_x:
            g_x = torch.addmm(g_out, g_hidden, w1).view(x.shape)
        return g_x, g_w1, g_b1, g_w2, g_b2


class RecomputeFFN(FFN):
    """mmcv ``FFN`` whose ReLU hidden layer is recomputed in backward.

    Same parameters, state dict and forward numbers as mmcv's ``FFN``
    (``mmcv/cnn/bricks/transformer.py``); while gradients are recorded, a
    two-layer ReLU FFN with identity residual and no active dropout runs
    :class:`_ReLUFFNFunction`, which keeps only the input for backward: the
    hidden activation (``feedforward_channels`` wide, 4x the input in
    Mask2Former / TarViS) is not stored, at the cost of one more
    ``(N, C) x (C, F)`` GEMM in backward. Anything else (other activations,
    ``p > 0`` dropout in training, layer scale, no residual, explicit
    ``identity``) falls back to mmcv's forward. Instances are switched in
    place with :func:`convert_recompute_ffn`.
    """

    def _fusable(self) -> bool:
        if self.num_fcs != 2 or not self.add_identity:
            return False
        first, second = self.layers[0], self.layers[1]
        if not (isinstance(first, nn.Sequential) and len(first) >= 2
                and isinstance(first[0], nn.Linear)
                and isinstance(first[1], nn.ReLU)
                and isinstance(second, nn.Linear)
                and first[0].bias is not None and second.bias is not None):
            return False
        rest = [*first[2:], *self.layers[2:], self.dropout_layer,
                self.gamma2]
        return all(
            isinstance(m, nn.Identity) or (
                isinstance(m, nn.Dropout) and (m.p == 0 or not self.training))
            for m in rest)

    def forward(self, x: Tensor, identity: Optional[Tensor] = None) -> Tensor:
        """mmcv's ``FFN.forward``; recomputing when gradients are recorded.

        Args:
            x (Tensor): ``(..., embed_dims)``.
            identity (Tensor, optional): Residual; ``x`` when None.

        Returns:
            Tensor: ``(..., embed_dims)``.
        """
        if identity is not None or not torch.is_grad_enabled() \
                or not self._fusable():
            return super().forward(x, identity)
        fc1, fc2 = self.layers[0][0], self.layers[1]
        return _ReLUFFNFunction.apply(x.contiguous(), fc1.weight, fc1.bias,
                                      fc2.weight, fc2.bias)


def convert_recompute_ffn(model: nn.Module) -> List[str]:
    """Switch every mmcv ``FFN`` in ``model`` to :class:`RecomputeFFN`.

    Args:
        model (nn.Module): Converted in place (no parameter changes).

    Returns:
        List[str]: Qualified names of the converted modules.
    """
    converted = []
    for name, module in model.named_modules():
        if type(module) is FFN:
            module.__class__ = RecomputeFFN
            converted.append(name)
    return converted
