# Copyright (c) mmvidseg contributors. All rights reserved.
"""Tokenizers for MTTR's RoBERTa text encoder, built without downloads.

* a local folder with ``vocab.json`` + ``merges.txt`` (e.g. a downloaded
  ``roberta-base``; the official ``RobertaTokenizerFast.from_pretrained``),
* ``RobertaTokenizerFast`` kwargs (``vocab_file`` / ``merges_file``),
* ``dict(corpus=[sentences], vocab_size=N)``: a byte-level BPE (RoBERTa's
  tokenizer type, same special tokens and ids ``<s>``=0, ``<pad>``=1,
  ``</s>``=2) trained in memory on the given sentences. With a vocabulary
  larger than the corpus needs, every corpus word becomes one token: a
  word-level tokenizer for small closed vocabularies (the toy data's
  expressions); unseen words fall back to byte pieces.
"""
from typing import Sequence, Union

SPECIAL_TOKENS = ('<s>', '<pad>', '</s>', '<unk>', '<mask>')


def corpus_tokenizer(corpus: Sequence[str], vocab_size: int = 400):
    """A ``RobertaTokenizerFast`` whose byte-level BPE is trained on
    ``corpus`` (deterministic for a given corpus)."""
    from tokenizers import ByteLevelBPETokenizer
    from tokenizers.processors import RobertaProcessing
    from transformers import RobertaTokenizerFast
    if not corpus:
        raise ValueError('corpus_tokenizer: empty corpus')
    tok = ByteLevelBPETokenizer()
    tok.train_from_iterator(
        [' '.join(s.lower().split()) for s in corpus], vocab_size=vocab_size,
        min_frequency=1, special_tokens=list(SPECIAL_TOKENS),
        show_progress=False)
    tok.post_processor = RobertaProcessing(
        ('</s>', tok.token_to_id('</s>')), ('<s>', tok.token_to_id('<s>')))
    return RobertaTokenizerFast(
        tokenizer_object=tok._tokenizer, bos_token='<s>', eos_token='</s>',
        sep_token='</s>', cls_token='<s>', pad_token='<pad>',
        unk_token='<unk>', mask_token='<mask>')


def build_roberta_tokenizer(spec: Union[str, dict]):
    """A ``RobertaTokenizerFast`` from a folder, file kwargs or a corpus."""
    from transformers import RobertaTokenizerFast
    if isinstance(spec, str):
        try:
            return RobertaTokenizerFast.from_pretrained(
                spec, local_files_only=True)
        except OSError as e:
            raise FileNotFoundError(
                f'MTTR tokenizer: {spec!r} is not a local folder with '
                'vocab.json + merges.txt (download roberta-base there, or '
                'set head.transformer.text_encoder.tokenizer to '
                f'dict(corpus=[...]) for a toy vocabulary): {e}') from None
    spec = dict(spec)
    if 'corpus' in spec:
        return corpus_tokenizer(spec.pop('corpus'), **spec)
    return RobertaTokenizerFast(**spec)
