# Copyright (c) mmvidseg contributors. All rights reserved.
import pytest
import torch

from mmvidseg.models.layers.mttr_transformer import (
    FeatureResizer, MTTRMultimodalTransformer, MTTRTextEncoder,
    sine_position_embedding_2d)

pytest.importorskip('transformers')  # optional: MTTR text encoder

SENTENCES = ['a man riding a horse on the left',
             'the dog running in the park',
             'a red car parked near a tree',
             'person holding a white umbrella']


def write_tokenizer(folder):
    """A byte-level BPE trained on a few sentences (no download)."""
    from tokenizers import ByteLevelBPETokenizer
    tok = ByteLevelBPETokenizer()
    tok.train_from_iterator(
        SENTENCES * 3, vocab_size=300, min_frequency=1,
        special_tokens=['<s>', '<pad>', '</s>', '<unk>', '<mask>'])
    tok.save_model(str(folder))
    return str(folder), tok.get_vocab_size()


def tiny_text_encoder(folder):
    path, vocab = write_tokenizer(folder)
    cfg = dict(vocab_size=vocab, hidden_size=16, num_hidden_layers=1,
               num_attention_heads=2, intermediate_size=32,
               max_position_embeddings=40, type_vocab_size=1,
               pad_token_id=1, bos_token_id=0, eos_token_id=2)
    return dict(roberta_config=cfg, tokenizer=path)


@pytest.fixture
def transformer(tmp_path):
    torch.manual_seed(0)
    return MTTRMultimodalTransformer(
        d_model=32, nheads=2, num_encoder_layers=2, num_decoder_layers=3,
        dim_feedforward=64, text_encoder=tiny_text_encoder(tmp_path)).eval()


def test_sine_position_embedding_normalised_by_valid_extent():
    mask = torch.zeros(2, 5, 6, dtype=torch.bool)
    mask[1, 3:] = True
    mask[1, :, 4:] = True
    pos = sine_position_embedding_2d(mask, 16)
    assert pos.shape == (2, 5, 6, 16)
    small = sine_position_embedding_2d(torch.zeros(1, 3, 4, dtype=torch.bool),
                                       16)
    torch.testing.assert_close(pos[1, :3, :4], small[0])
    # the last valid row / column sits at 2*pi: sin = 0, cos = 1
    torch.testing.assert_close(pos[0, -1, 0, :2],
                               torch.tensor([0., 1.]), atol=1e-4, rtol=0)


def test_feature_resizer_eps():
    resizer = FeatureResizer(8, 4)
    assert resizer.layer_norm.eps == 1e-12


def test_tokenizer_pads_to_longest_and_frozen(tmp_path):
    enc = MTTRTextEncoder(**tiny_text_encoder(tmp_path))
    tokens = enc.tokenize(['a dog', 'a man riding a horse'], 'cpu')
    assert tokens['input_ids'].shape[0] == 2
    assert (tokens['input_ids'][0][tokens['attention_mask'][0] == 0] ==
            1).all()  # <pad> = 1 = RoBERTa padding_idx
    hidden, pad = enc(tokens)
    assert hidden.shape == (*tokens['input_ids'].shape, 16)
    assert torch.equal(pad, tokens['attention_mask'] == 0)
    assert not any(p.requires_grad for p in enc.parameters())
    assert not hidden.requires_grad
    with pytest.raises(RuntimeError, match='tokenizer'):
        MTTRTextEncoder(roberta_config=dict(
            vocab_size=10, hidden_size=8, num_hidden_layers=1,
            num_attention_heads=2, intermediate_size=8)).tokenize(['a'],
                                                                  'cpu')


def test_pretrained_local_folder(tmp_path):
    from transformers import RobertaConfig, RobertaModel
    cfg = tiny_text_encoder(tmp_path)
    torch.manual_seed(5)
    ref = RobertaModel(RobertaConfig(**cfg['roberta_config']),
                       add_pooling_layer=False)
    ref.save_pretrained(tmp_path / 'roberta')
    enc = MTTRTextEncoder(tokenizer=cfg['tokenizer'],
                          pretrained=str(tmp_path / 'roberta'))
    torch.testing.assert_close(enc.model.embeddings.word_embeddings.weight,
                               ref.embeddings.word_embeddings.weight)
    assert enc.hidden_size == 16 and enc.model.pooler is None
    with pytest.raises(ValueError, match='not both'):
        MTTRTextEncoder(**cfg, pretrained=str(tmp_path / 'roberta'))


def test_forward_shapes_final_norm_and_grad(transformer):
    vid = torch.randn(2, 3, 32, 4, 5)  # (B, T, C, h, w)
    pad = torch.zeros(2, 3, 4, 5, dtype=torch.bool)
    queries = torch.randn(7, 32)
    transformer.train()
    hs, vid_mem, txt_mem = transformer(vid, pad, ['a dog', 'a red car'],
                                       queries)
    assert hs.shape == (3, 2, 3, 7, 32)
    assert vid_mem.shape == (2, 3, 32, 4, 5)
    assert len(txt_mem) == 6 and txt_mem[0].shape[1] == 32
    # every layer goes through the shared final LayerNorm (weight 1, bias 0)
    torch.testing.assert_close(hs.mean(-1), torch.zeros(3, 2, 3, 7),
                               atol=1e-5, rtol=0)
    hs.sum().backward()
    assert transformer.txt_proj.fc.weight.grad is not None
    assert transformer.text_encoder.model.embeddings.word_embeddings \
        .weight.grad is None


def test_padding_is_masked(transformer):
    torch.manual_seed(1)
    queries = torch.randn(5, 32)
    vid = torch.randn(2, 2, 32, 4, 5)
    pad = torch.zeros(2, 2, 4, 5, dtype=torch.bool)
    pad[1, :, 3:] = True
    with torch.no_grad():
        hs, _, txt = transformer(vid, pad, ['a dog', 'a man riding a horse'],
                                 queries)
        # text padding: clip 0 alone gives the same result
        hs0, _, txt0 = transformer(vid[:1], pad[:1], ['a dog'], queries)
        # video padding: features under the pad mask do not matter
        vid2 = vid.clone()
        vid2[1, :, :, 3:] = 100.
        hs2, _, _ = transformer(vid2, pad, ['a dog', 'a man riding a horse'],
                                queries)
    torch.testing.assert_close(hs[:, :1], hs0, atol=1e-5, rtol=1e-5)
    assert txt[0].shape == txt0[0].shape  # padding removed
    torch.testing.assert_close(hs2, hs, atol=1e-5, rtol=1e-5)


def test_frames_are_independent(transformer):
    torch.manual_seed(2)
    queries = torch.randn(5, 32)
    vid = torch.randn(1, 3, 32, 4, 4)
    pad = torch.zeros(1, 3, 4, 4, dtype=torch.bool)
    with torch.no_grad():
        hs, _, _ = transformer(vid, pad, ['a dog'], queries)
        hs1, _, _ = transformer(vid[:, 1:2], pad[:, 1:2], ['a dog'], queries)
    torch.testing.assert_close(hs[:, :, 1:2], hs1, atol=1e-5, rtol=1e-5)


def test_long_sentence_truncated_with_warning(tmp_path):
    enc = MTTRTextEncoder(**tiny_text_encoder(tmp_path))
    assert enc.max_length == 40 - 1 - 1  # positions start at pad_id + 1
    long = ' '.join(['horse'] * 60)
    with pytest.warns(UserWarning, match='more than the text encoder takes '
                      r'\(38\); it is truncated'):
        tokens = enc.tokenize(['a dog', long], 'cpu')
    assert tokens['input_ids'].shape[1] == 38
    assert tokens['input_ids'][1, -1].item() == 2  # still ends with </s>
    hidden, pad = enc(tokens)  # embeds without a position-index error
    assert hidden.shape == (2, 38, 16) and not pad[1].any()


def test_checkpoint_with_other_text_encoder_size(tmp_path):
    from mmengine.runner.checkpoint import load_state_dict
    cfg = tiny_text_encoder(tmp_path)
    enc = MTTRTextEncoder(**cfg)
    other = dict(cfg, roberta_config=dict(cfg['roberta_config'],
                                          hidden_size=32,
                                          intermediate_size=64))
    state = MTTRTextEncoder(**other).state_dict()
    for loader in (lambda s: enc.load_state_dict(s),
                   lambda s: load_state_dict(enc, s, strict=False)):
        with pytest.raises(ValueError, match=r"checkpoint key 'model\."
                           r"embeddings.word_embeddings.weight' has shape "
                           r'\(\d+, 32\).*roberta_config'):
            loader(state)
    enc.load_state_dict(MTTRTextEncoder(**cfg).state_dict())  # same sizes


def test_corpus_tokenizer_is_word_level_and_lazy(tmp_path):
    corpus = ['the red square moving left', 'the blue circle moving up']
    cfg = dict(tiny_text_encoder(tmp_path)['roberta_config'], vocab_size=400)
    enc = MTTRTextEncoder(roberta_config=cfg,
                          tokenizer=dict(corpus=corpus, vocab_size=400))
    tokens = enc.tokenize(['the red circle moving up'], 'cpu')
    words = enc.tokenizer.convert_ids_to_tokens(tokens['input_ids'][0])
    assert words == ['<s>', 'the', 'Ġred', 'Ġcircle', 'Ġmoving', 'Ġup',
                     '</s>']
    assert enc.tokenizer.pad_token_id == 1
    # a folder that does not exist fails on first use, naming the fix
    enc = MTTRTextEncoder(roberta_config=cfg,
                          tokenizer=str(tmp_path / 'missing'))
    with pytest.raises(FileNotFoundError, match='vocab.json'):
        enc.tokenize(['a dog'], 'cpu')
    small = dict(cfg, vocab_size=50)
    enc = MTTRTextEncoder(roberta_config=small,
                          tokenizer=dict(corpus=corpus, vocab_size=400))
    with pytest.raises(ValueError, match='raise roberta_config.vocab_size'):
        enc.tokenize(['a dog'], 'cpu')
