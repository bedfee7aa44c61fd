#!/usr/bin/env python
# Copyright (c) mmvidseg contributors. All rights reserved.
"""Install mmvidseg.

``pip install --no-build-isolation -e .`` (torch must already be installed;
``tools/install.sh`` installs the whole pinned stack in the right order).

Compiled ops (``mmvidseg/ops/csrc``):

* ``MMVIDSEG_WITH_OPS=0`` skips them: the package then uses its pure-PyTorch
  paths everywhere.
* A C++ CPU extension is built everywhere else; CUDA sources are added when
  ``torch.cuda.is_available()`` or ``FORCE_CUDA=1``.
* A failed compilation never fails the install: it warns, and
  ``mmvidseg.ops.info()`` reports what is missing.
"""
import glob
import os
import os.path as osp
import shutil
import sys
import warnings

from setuptools import find_packages, setup

ROOT = osp.dirname(osp.abspath(__file__))


def readme():
    with open(osp.join(ROOT, 'README.md'), encoding='utf-8') as f:
        return f.read()


def get_version():
    scope = {}
    with open(osp.join(ROOT, 'mmvidseg', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(fname):
    """Read requirement names (with specifiers), following ``-r`` lines."""
    out = []
    with open(osp.join(ROOT, fname)) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if not line:
                continue
            if line.startswith('-r '):
                out += parse_requirements(
                    osp.join(osp.dirname(fname), line[3:].strip()))
            else:
                out.append(line)
    return out


def add_mim_extension(mode=None, mim_path=None):
    """Link (editable) or copy (wheel) tools/configs into ``mmvidseg/.mim``.

    This is what lets ``mim download mmvidseg --config NAME`` and
    ``mmvidseg::`` config lookups work from an installed package, as in mmdet:
    mim reads ``<package>/.mim/model-index.yml`` (whose metafiles give each
    entry's ``Weights`` URL and ``Config`` path) and dumps the config from
    ``<package>/.mim/configs``.

    Args:
        mode (str, optional): ``'symlink'`` or ``'copy'``; default: from the
            setup command (``develop`` / ``editable_wheel`` link, ``sdist`` /
            ``bdist_wheel`` / ``install`` copy, anything else does nothing).
        mim_path (str, optional): the ``.mim`` folder to fill; default
            ``mmvidseg/.mim`` of this checkout.
    """
    if mode is None:
        if 'develop' in sys.argv or any('editable' in a for a in sys.argv):
            mode = 'symlink'
        elif any(a in sys.argv for a in ('sdist', 'bdist_wheel', 'install')):
            mode = 'copy'
        else:
            return
    mim_path = mim_path or osp.join(ROOT, 'mmvidseg', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in ('tools', 'configs', 'model-index.yml'):
        src = osp.join(ROOT, name)
        dst = osp.join(mim_path, name)
        if not osp.exists(src):
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_path), dst)
        elif osp.isdir(src):
            shutil.copytree(
                src, dst, ignore=shutil.ignore_patterns('__pycache__'))
        else:
            shutil.copyfile(src, dst)


def get_extensions():
    """The C++ (and CUDA) extension ``mmvidseg.ops._ext``, or nothing."""
    if os.getenv('MMVIDSEG_WITH_OPS', '1') == '0':
        print('MMVIDSEG_WITH_OPS=0: skipping mmvidseg.ops._ext')
        return []
    try:
        import torch
        from torch.utils.cpp_extension import CppExtension, CUDAExtension
    except ImportError:
        warnings.warn('torch is not importable at build time (use '
                      '`pip install --no-build-isolation`): skipping '
                      'mmvidseg.ops._ext')
        return []
    csrc = osp.join('mmvidseg', 'ops', 'csrc')
    sources = sorted(glob.glob(osp.join(csrc, '*.cpp')) +
                     glob.glob(osp.join(csrc, 'cpu', '*.cpp')))
    if not sources:
        return []
    define_macros = []
    extra_compile_args = {'cxx': ['-O3']}
    if os.getenv('OMP', '1') != '0' and sys.platform.startswith('linux'):
        extra_compile_args['cxx'].append('-fopenmp')
    extra_link_args = ['-fopenmp'] if '-fopenmp' in extra_compile_args[
        'cxx'] else []
    use_cuda = (torch.cuda.is_available() or os.getenv('FORCE_CUDA', '0')
                == '1') and torch.version.cuda is not None
    if use_cuda:
        sources += sorted(glob.glob(osp.join(csrc, 'cuda', '*.cu')))
        define_macros.append(('WITH_CUDA', None))
        extra_compile_args['nvcc'] = ['-O3']
        ext_cls = CUDAExtension
        print('Compiling mmvidseg.ops._ext with CPU and CUDA')
    else:
        ext_cls = CppExtension
        print('Compiling mmvidseg.ops._ext with CPU only')
    return [
        ext_cls(
            name='mmvidseg.ops._ext',
            sources=sources,
            include_dirs=[osp.abspath(csrc)],
            define_macros=define_macros,
            extra_compile_args=extra_compile_args,
            extra_link_args=extra_link_args)
    ]


def get_cmdclass():
    try:
        from torch.utils.cpp_extension import BuildExtension
    except ImportError:
        return {}

    class OptionalBuildExtension(BuildExtension):
        """Build the ops, but never let a compiler error fail the install."""

        def run(self):
            try:
                super().run()
            except Exception as e:  # noqa: BLE001 - report and go on
                warnings.warn(f'Building mmvidseg.ops._ext failed ({e}); '
                              'mmvidseg falls back to its pure-PyTorch ops.')

        def build_extension(self, ext):
            try:
                super().build_extension(ext)
            except Exception as e:  # noqa: BLE001
                warnings.warn(f'Building {ext.name} failed ({e}); mmvidseg '
                              'falls back to its pure-PyTorch ops.')

    return {'build_ext': OptionalBuildExtension.with_options(use_ninja=True)}


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmvidseg',
        version=get_version(),
        description='OpenMMLab video segmentation toolbox: TeViT, STEm-Seg, '
        'TarViS, MTTR and Video-TTT on mmengine / mmdet 3.x',
        long_description=readme(),
        long_description_content_type='text/markdown',
        keywords='computer vision, video instance segmentation, '
        'video object segmentation, video panoptic segmentation',
        packages=find_packages(exclude=('configs', 'tools', 'tests',
                                        'projects', 'docs')),
        include_package_data=True,
        package_data={'mmvidseg.ops': ['csrc/*.h', 'csrc/*/*.h']},
        python_requires='>=3.8',
        license='Apache License 2.0',
        install_requires=parse_requirements('requirements/runtime.txt'),
        extras_require={
            'all': parse_requirements('requirements.txt'),
            'tests': parse_requirements('requirements/tests.txt'),
            'build': parse_requirements('requirements/build.txt'),
            'optional': parse_requirements('requirements/optional.txt'),
            'mim': parse_requirements('requirements/mminstall.txt'),
        },
        ext_modules=get_extensions(),
        cmdclass=get_cmdclass(),
        zip_safe=False)
