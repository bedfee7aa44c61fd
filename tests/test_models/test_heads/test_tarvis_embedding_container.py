# Copyright (c) mmvidseg contributors. All rights reserved.
import pytest
import torch

from mmvidseg.models.heads.tarvis_embedding_container import \
    TarViSEmbeddingContainer

FINETUNE = dict(YOUTUBE_VIS=40, OVIS=25, KITTI_STEP=19, CITYSCAPES_VPS=19,
                VIPSEG=124)


def test_official_layout():
    torch.manual_seed(0)
    ec = TarViSEmbeddingContainer(FINETUNE)
    assert ec.semantic_queries.shape == (228, 256)
    assert ec.instance_queries.shape == (129, 256)
    assert ec.background_queries.shape == (2, 256)
    assert ec.background_vos_queries.shape == (2, 256)
    assert ec.vos_queries.shape == (1, 256)
    # alphabetical blocks after the shared row 0 (reference §2.4)
    assert ec.semantic_slices == dict(
        CITYSCAPES_VPS=(1, 20), KITTI_STEP=(20, 39), OVIS=(39, 64),
        VIPSEG=(64, 188), YOUTUBE_VIS=(188, 228))
    assert sum(p.numel() for p in ec.parameters()) == 92672


def test_query_set_rows_and_shared_embed():
    torch.manual_seed(0)
    ec = TarViSEmbeddingContainer(dict(B=3, A=2), num_instance_queries=4,
                                  embed_dims=8)
    inits, embeds, sizes = ec.query_set(
        ['instance', 'background', 'semantic'], 2, 'B')
    assert sizes == [4, 1, 3]
    assert inits.shape == embeds.shape == (2, 8, 8)
    assert torch.equal(inits[0, :4], ec.instance_queries[1:])
    assert torch.equal(inits[1, 4], ec.background_queries[1])
    assert torch.equal(inits[0, 5:], ec.semantic_queries[3:6])  # A: 1..2
    assert torch.equal(embeds[0, :4], ec.instance_queries[0].expand(4, 8))
    assert torch.equal(embeds[1, 5:], ec.semantic_queries[0].expand(3, 8))
    inits.sum().backward()
    assert ec.semantic_queries.grad[3:6].abs().sum() > 0
    assert ec.semantic_queries.grad[1:3].abs().sum() == 0


def test_vos_groups_take_encoder_inits():
    ec = TarViSEmbeddingContainer(dict(A=2), embed_dims=8)
    obj, bg = torch.randn(2, 5, 8), torch.randn(2, 16, 8)
    inits, embeds, sizes = ec.query_set(['background_vos', 'vos'], 2,
                                        vos_inits=obj, vos_bg_inits=bg)
    assert sizes == [16, 5]
    assert torch.equal(inits, torch.cat([bg, obj], 1))
    assert torch.equal(embeds[1, 16:], ec.vos_queries[0].expand(5, 8))
    assert torch.equal(embeds[0, :16],
                       ec.background_vos_queries[0].expand(16, 8))
    with pytest.raises(ValueError, match='vos_inits'):
        ec.query_set(['vos'], 1)


def test_unknown_dataset_names_both():
    ec = TarViSEmbeddingContainer(dict(OVIS=25, YOUTUBE_VIS=40))
    with pytest.raises(KeyError, match="'DAVIS'.*'OVIS', 'YOUTUBE_VIS'"):
        ec.query_set(['semantic'], 1, 'DAVIS')
