# Copyright (c) mmvidseg contributors. All rights reserved.
"""mmvidseg: video segmentation for the OpenMMLab 2.x stack."""
from .version import __version__, version_info


def _check_versions() -> None:
    """Fail early, with the install command, when the stack is incompatible."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.version import Version

    windows = {
        # distribution: (min inclusive, max exclusive, install hint)
        'mmcv': ('2.0.0rc4', '2.2.0',
                 'MMCV_WITH_OPS=1 pip install --no-build-isolation mmcv==2.1.0'),
        'mmengine': ('0.10.0', '1.0.0', 'pip install mmengine==0.10.7'),
        'mmdet': ('3.3.0', '3.4.0', 'pip install mmdet==3.3.0'),
        'mmsegmentation': ('1.2.0', '1.3.0',
                           'pip install mmsegmentation==1.2.2'),
    }
    for dist, (low, high, hint) in windows.items():
        try:
            found = Version(version(dist))
        except PackageNotFoundError:
            raise ImportError(
                f'mmvidseg needs {dist}>={low},<{high}, which is not '
                f'installed. Install it with `{hint}` or run '
                '`bash tools/install.sh`.') from None
        if not Version(low) <= found < Version(high):
            raise ImportError(
                f'{dist}=={found} is installed, but mmvidseg needs '
                f'{dist}>={low},<{high}. Install it with `{hint}` or run '
                '`bash tools/install.sh`.')


_check_versions()

__all__ = ['__version__', 'version_info']
