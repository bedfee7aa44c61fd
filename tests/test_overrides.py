# Copyright (c) mmvidseg contributors. All rights reserved.
from mmengine.registry import DefaultScope

from mmvidseg.overrides import SHADOWS
from mmvidseg.utils import register_all_modules

register_all_modules()


def test_shadows_win_in_the_mmvidseg_scope_only():
    assert sum(len(c) for c in SHADOWS.values()) == 10
    for registry, classes in SHADOWS.items():
        assert registry.scope == 'mmvidseg'
        for cls in classes:
            assert cls.__module__.startswith('mmvidseg.')
            assert registry.module_dict[cls.__name__] is cls
            with DefaultScope.overwrite_default_scope('mmvidseg'):
                assert registry.get(cls.__name__) is cls
            # the upstream class of the same name stays reachable
            upstream = registry.get(f'{registry.parent.scope}.{cls.__name__}')
            assert upstream is not None and upstream is not cls
            assert not upstream.__module__.startswith('mmvidseg.')
