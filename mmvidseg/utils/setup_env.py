# Copyright (c) mmvidseg contributors. All rights reserved.
import datetime
import importlib
import warnings

from mmengine import DefaultScope

# mmdet subpackages whose classes mmvidseg configs use unprefixed. The parent
# walk of a child registry does not import the parent's ``locations``, so we
# import them whenever a mmvidseg location module is imported.
MMDET_PACKAGES = ('mmdet.models', 'mmdet.datasets', 'mmdet.evaluation',
                  'mmdet.engine', 'mmdet.visualization')
MMVIDSEG_PACKAGES = ('mmvidseg.datasets', 'mmvidseg.engine',
                     'mmvidseg.evaluation.metrics', 'mmvidseg.models',
                     'mmvidseg.visualization', 'mmvidseg.overrides')


def prepare_upstream() -> None:
    """Import the mmdet subpackages that register the classes we build on,
    and apply :func:`mmvidseg.utils.compat.apply_compat_patches`.

    Called by every package of mmvidseg that a registry lists in its
    ``locations`` (so that a Runner building a ``default_scope='mmvidseg'``
    config gets the fixes) and by :func:`register_all_modules`.
    """
    for name in MMDET_PACKAGES:
        importlib.import_module(name)
    from mmvidseg.utils.compat import apply_compat_patches
    from mmvidseg.utils.zoo import register_zoo_scheme
    apply_compat_patches()
    register_zoo_scheme()  # load_from='zoo://NAME'


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register all modules of mmdet and mmvidseg into their registries.

    Args:
        init_default_scope (bool): Whether to set the default scope to
            ``'mmvidseg'`` (as ``default_scope='mmvidseg'`` in a config does
            for the Runner). Defaults to True.
    """
    prepare_upstream()
    for name in MMVIDSEG_PACKAGES:
        importlib.import_module(name)

    if init_default_scope:
        never_created = DefaultScope.get_current_instance() is None \
            or not DefaultScope.check_instance_created('mmvidseg')
        if never_created:
            DefaultScope.get_instance('mmvidseg', scope_name='mmvidseg')
            return
        current_scope = DefaultScope.get_current_instance()
        if current_scope.scope_name != 'mmvidseg':
            warnings.warn('The current default scope '
                          f'"{current_scope.scope_name}" is not "mmvidseg", '
                          '`register_all_modules` will force the current '
                          'default scope to be "mmvidseg". If this is not '
                          'expected, please set `init_default_scope=False`.')
            # avoid name conflict
            new_instance_name = f'mmvidseg-{datetime.datetime.now()}'
            DefaultScope.get_instance(new_instance_name, scope_name='mmvidseg')
