# YouTube-VIS 2021, official layout: data/youtube_vis_2021/{train,valid}/
#   JPEGImages/<video>/<frame>.jpg and {train,valid}/instances.json
_base_ = './youtube_vis_2019.py'

data_root = 'data/youtube_vis_2021/'
dataset_version = '2021'
train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        dataset_version=dataset_version,
        ann_file='train/instances.json'))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        dataset_version=dataset_version,
        ann_file='valid/instances.json'))
test_dataloader = val_dataloader
val_evaluator = dict(
    outfile_prefix='./work_dirs/youtube_vis_2021_results',
    dataset_version=dataset_version)
test_evaluator = val_evaluator
