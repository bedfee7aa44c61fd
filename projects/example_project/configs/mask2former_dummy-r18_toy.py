_base_ = [
    '../../../configs/mask2former_vis/'
    'mask2former_r18-b16-tiny_1xb4-2500i_toy-ytvis.py'
]
custom_imports = dict(
    imports=['mmvidseg', 'projects.example_project.dummy'],
    allow_failed_imports=False)
model = dict(backbone=dict(type='DummyResNet'))
