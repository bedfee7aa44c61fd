# Copyright (c) mmvidseg contributors. All rights reserved.
"""The tool under test: tools/analysis_tools/eval_offline.py."""
import importlib.util
import os.path as osp

import pytest

TOOL = osp.join(osp.dirname(__file__), '..', '..', '..', 'tools',
                'analysis_tools', 'eval_offline.py')


@pytest.fixture(scope='module')
def tool():
    """``eval_offline.py`` imported as a module (``tool.main(argv)``)."""
    spec = importlib.util.spec_from_file_location('eval_offline', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
