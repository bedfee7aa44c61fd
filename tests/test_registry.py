# Copyright (c) mmvidseg contributors. All rights reserved.
import subprocess
import sys

from mmvidseg import registry


def test_children_of_mmdet():
    for name in ('MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'HOOKS',
                 'VISUALIZERS'):
        reg = getattr(registry, name)
        assert reg.scope == 'mmvidseg', name
        assert reg.parent is not None and reg.parent.scope == 'mmdet', name
        assert reg._locations, f'{name} has no locations='


def test_first_lookup_imports_the_locations():
    """In a fresh interpreter, without register_all_modules(), a config
    type resolves: mmvidseg classes by name, mmdet ones unprefixed."""
    code = (
        'from mmengine.registry import DefaultScope\n'
        'from mmvidseg.registry import MODELS, TRANSFORMS\n'
        "DefaultScope.get_instance('t', scope_name='mmvidseg')\n"
        "bn = MODELS.build(dict(type='StemSegFrozenBN', num_features=2))\n"
        "print(type(bn).__module__)\n"
        "print(MODELS.get('ResNet').__module__)\n"
        "print(TRANSFORMS.get('PackTrackInputs').__module__)\n")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.split()
    assert lines[0] == 'mmvidseg.models.backbones.stemseg_frozen_bn'
    assert lines[1].startswith('mmdet.models.backbones')
    assert lines[2].startswith('mmdet.datasets.transforms')
