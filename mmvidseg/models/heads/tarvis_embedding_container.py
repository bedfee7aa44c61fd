# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS query tables: instance, background and per-dataset semantic."""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from mmvidseg.registry import MODELS

QUERY_GROUPS_VIS = ('instance', 'background', 'semantic')
QUERY_GROUPS_VOS = ('background_vos', 'vos')


@MODELS.register_module()
class TarViSEmbeddingContainer(nn.Module):
    """All learned TarViS queries in one place.

    Re-implements ``EmbeddingContainer`` of "TarViS: A Unified Approach for
    Target-based Video Segmentation" (Athar et al., CVPR 2023), official
    file ``Ali2500/TarViS: tarvis/modelling/embedding_container.py``, with
    the query-set assembly of ``tarvis/modelling/tarvis_model_base.py::
    get_query_set``.

    Every table stores row 0 as a *shared* positional embedding ("embed",
    repeated for every query of the group) and rows 1.. as the content
    initialisations ("inits"). The semantic table holds one block of class
    queries per dataset, blocks laid out in **alphabetical order of the
    dataset name** after the shared row (the official layout, so official
    checkpoints load by identity). All tables are initialised N(0, 1).

    Deviation: ``prune_semantic_query_set`` (unused by the released
    inference and training code) is not ported.

    Args:
        num_classes (dict[str, int]): Classes per dataset name, e.g.
            ``dict(OVIS=25, YOUTUBE_VIS=40)``.
        num_instance_queries (int): Instance queries. Defaults to 128.
        num_background_queries (int): Background queries (VIS/VPS and VOS
            tables each). Defaults to 1.
        embed_dims (int): Query width. Defaults to 256.
    """

    def __init__(self,
                 num_classes: Dict[str, int],
                 num_instance_queries: int = 128,
                 num_background_queries: int = 1,
                 embed_dims: int = 256) -> None:
        super().__init__()
        if not num_classes:
            raise ValueError('TarViSEmbeddingContainer needs num_classes '
                             'with at least one dataset, e.g. '
                             'dict(YOUTUBE_VIS=40).')
        if num_background_queries < 1:
            raise ValueError('num_background_queries must be >= 1 (the '
                             'class logits max-pool over them).')
        self.embed_dims = embed_dims
        self.num_classes = dict(num_classes)
        self.semantic_slices: Dict[str, Tuple[int, int]] = {}
        offset = 1  # row 0: shared embed
        for name in sorted(num_classes):
            self.semantic_slices[name] = (offset, offset + num_classes[name])
            offset += num_classes[name]
        self.semantic_queries = nn.Parameter(torch.empty(offset, embed_dims))
        self.background_queries = nn.Parameter(
            torch.empty(1 + num_background_queries, embed_dims))
        self.background_vos_queries = nn.Parameter(
            torch.empty(1 + num_background_queries, embed_dims))
        self.instance_queries = nn.Parameter(
            torch.empty(1 + num_instance_queries, embed_dims))
        self.vos_queries = nn.Parameter(torch.empty(1, embed_dims))
        self.init_weights()

    def init_weights(self) -> None:
        """N(0, 1) for every table, as the official ``reset_parameters``."""
        for p in self.parameters():
            nn.init.normal_(p)

    @property
    def num_instance_queries(self) -> int:
        return self.instance_queries.size(0) - 1

    def check_dataset(self, dataset_name: str) -> None:
        """Raise ``KeyError`` naming the dataset and the known ones."""
        if dataset_name not in self.semantic_slices:
            raise KeyError(
                f"dataset '{dataset_name}' has no semantic queries; this "
                f'model knows {sorted(self.semantic_slices)} (set the '
                "segmentor's dataset_name / the data sample's "
                "'dataset_name' metainfo to one of them, or add it to "
                'num_classes)')

    def group(self, name: str,
              dataset_name: Optional[str] = None) -> Tuple[Tensor, Tensor]:
        """``(embeds, inits)``, each ``(Q_group, C)``, of one query group.

        Args:
            name (str): ``instance``, ``background``, ``background_vos`` or
                ``semantic`` (``vos`` inits come from the object encoder,
                see :meth:`query_set`).
            dataset_name (str, optional): Selects the semantic block.
        """
        if name == 'semantic':
            self.check_dataset(dataset_name)
            start, end = self.semantic_slices[dataset_name]
            table = self.semantic_queries
            inits = table[start:end]
            return table[0:1].expand_as(inits), inits
        tables = dict(
            instance=self.instance_queries,
            background=self.background_queries,
            background_vos=self.background_vos_queries)
        if name not in tables:
            raise KeyError(f"unknown TarViS query group '{name}'; expected "
                           f"one of {sorted(tables) + ['semantic']}")
        table = tables[name]
        inits = table[1:]
        return table[0:1].expand_as(inits), inits

    def query_set(self,
                  group_names: List[str],
                  batch_size: int,
                  dataset_name: Optional[str] = None,
                  vos_inits: Optional[Tensor] = None,
                  vos_bg_inits: Optional[Tensor] = None
                  ) -> Tuple[Tensor, Tensor, List[int]]:
        """Decoder inputs for a task, groups concatenated in order.

        Args:
            group_names (list[str]): e.g. ``['instance', 'background',
                'semantic']`` (VIS / VPS) or ``['background_vos', 'vos']``.
            batch_size (int): B.
            dataset_name (str, optional): Semantic block to use.
            vos_inits (Tensor, optional): ``(B, N_o, C)`` object-encoder
                queries (``vos`` group).
            vos_bg_inits (Tensor, optional): ``(B, N_b, C)`` object-encoder
                background queries; replace the learned ``background_vos``
                inits when given.

        Returns:
            tuple: ``inits`` (B, Q, C), ``embeds`` (B, Q, C) and the group
            sizes (sum Q).
        """
        inits, embeds, sizes = [], [], []
        for name in group_names:
            if name == 'vos' or (name == 'background_vos'
                                 and vos_bg_inits is not None):
                init = vos_inits if name == 'vos' else vos_bg_inits
                if init is None:
                    raise ValueError("the 'vos' query group needs the "
                                     'object-encoder queries (vos_inits)')
                table = self.vos_queries if name == 'vos' else \
                    self.background_vos_queries
                embed = table[0].expand_as(init)  # (B, N, C)
                inits.append(init)
                embeds.append(embed)
                sizes.append(init.size(1))
                continue
            embed, init = self.group(name, dataset_name)
            inits.append(init.unsqueeze(0).expand(batch_size, -1, -1))
            embeds.append(embed.unsqueeze(0).expand(batch_size, -1, -1))
            sizes.append(init.size(0))
        return torch.cat(inits, 1), torch.cat(embeds, 1), sizes
