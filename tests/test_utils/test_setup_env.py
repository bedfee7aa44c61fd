# Copyright (c) mmvidseg contributors. All rights reserved.
import sys
import warnings

import pytest
from mmengine import DefaultScope

from mmvidseg.registry import MODELS
from mmvidseg.utils.setup_env import (MMDET_PACKAGES, MMVIDSEG_PACKAGES,
                                      register_all_modules)


def test_register_all_modules_imports_and_scopes():
    register_all_modules()
    assert all(name in sys.modules
               for name in MMDET_PACKAGES + MMVIDSEG_PACKAGES)
    assert DefaultScope.get_current_instance().scope_name == 'mmvidseg'
    assert 'StemSegFrozenBN' in MODELS.module_dict
    # another current scope: a warning, then mmvidseg is current again
    DefaultScope.get_instance('test_setup_env_mmdet', scope_name='mmdet')
    with pytest.warns(UserWarning, match='not "mmvidseg"'):
        register_all_modules()
    assert DefaultScope.get_current_instance().scope_name == 'mmvidseg'
    # the scope is left alone when asked to
    DefaultScope.get_instance('test_setup_env_mmdet2', scope_name='mmdet')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        register_all_modules(init_default_scope=False)
    assert DefaultScope.get_current_instance().scope_name == 'mmdet'
    with pytest.warns(UserWarning):  # restore mmvidseg for later tests
        register_all_modules()
    assert DefaultScope.get_current_instance().scope_name == 'mmvidseg'
