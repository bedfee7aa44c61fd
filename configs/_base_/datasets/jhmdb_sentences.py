# JHMDB-Sentences (evaluation only) as MTTR reads it (mttr2021/MTTR:
# datasets/jhmdb_sentences/jhmdb_sentences_dataset.py,
# configs/jhmdb_sentences.yaml): three sampled frames per expression (the
# official jhmdb_sentences_samples_metadata.json when given, else drawn with
# `seed`), each the centre of a `window_size` window; short side 320 / long
# side <= 576, no flip. Scored like A2D-Sentences.
dataset_type = 'JHMDBSentencesDataset'
data_root = 'data/jhmdb_sentences/'
window_size = 8
meta_keys = ('text', 'exp_id', 'referred_instance_id', 'is_annotated',
             'video_name', 'image_id')
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(type='Resize', scale=(576, 320), keep_ratio=True),
        ]),
    dict(type='PackTrackInputs', meta_keys=meta_keys)
]
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        window_size=window_size,
        # the official sampled frames (mttr2021/MTTR:
        # datasets/jhmdb_sentences/jhmdb_sentences_samples_metadata.json),
        # copied into the data folder; None draws new ones with `seed`
        samples_file='jhmdb_sentences_samples_metadata.json',
        seed=42,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='ReferMetric')
test_evaluator = val_evaluator
