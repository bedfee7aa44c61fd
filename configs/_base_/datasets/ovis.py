# OVIS, common layout: data/ovis/{train,valid}/<video>/<frame>.jpg and
# data/ovis/annotations_{train,valid}.json (YouTube-VIS schema, 25 classes)
_base_ = './youtube_vis_2019.py'

data_root = 'data/ovis/'
train_dataloader = dict(
    dataset=dict(
        type='OVISDataset',
        data_root=data_root,
        dataset_version='ovis',
        ann_file='annotations_train.json',
        data_prefix=dict(img_path='train')))
val_dataloader = dict(
    dataset=dict(
        type='OVISDataset',
        data_root=data_root,
        dataset_version='ovis',
        ann_file='annotations_valid.json',
        data_prefix=dict(img_path='valid')))
test_dataloader = val_dataloader
val_evaluator = dict(
    outfile_prefix='./work_dirs/ovis_results', dataset_version='ovis')
test_evaluator = val_evaluator
