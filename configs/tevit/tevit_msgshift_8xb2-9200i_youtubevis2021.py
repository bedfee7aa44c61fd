# TeViT MsgShifT on YouTube-VIS 2021 (40 classes, same recipe as 2019). Not an
# official config: the official repository ships YouTube-VIS 2019 only.
_base_ = './tevit_msgshift_8xb2-9200i_youtubevis2019.py'

data_root = 'data/youtube_vis_2021/'
dataset_version = '2021'
train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        dataset_version=dataset_version,
        ann_file='train/instances.json',
        data_prefix=dict(img_path='train/JPEGImages')))
test_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        dataset_version=dataset_version,
        ann_file='valid/instances.json',
        data_prefix=dict(img_path='valid/JPEGImages')))
test_evaluator = dict(
    outfile_prefix='./work_dirs/youtube_vis_2021_results',
    dataset_version=dataset_version)
