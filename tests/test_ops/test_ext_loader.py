# Copyright (c) mmvidseg contributors. All rights reserved.
from mmvidseg.ops import get_ext, info


def test_info_reports_the_build():
    report = info()
    assert set(report) >= {
        'compiled', 'cpu_kernels', 'cuda', 'openmp', 'num_threads',
        'extension_path', 'import_error'
    }
    assert report['compiled'] == (get_ext() is not None)
    if report['compiled']:
        assert {'ms_deform_attn_backward', 'ms_deform_attn_forward'} <= set(
            report['cpu_kernels'])
        assert report['import_error'] is None
        assert report['extension_path'].endswith('.so')
    else:
        assert report['import_error'] and report['hint']
