# Copyright (c) mmvidseg contributors. All rights reserved.
"""mmvidseg's registries: children of mmdet's, so mmdet names resolve unprefixed.

Every node has ``locations=`` so that building from a config never depends on
an earlier import side effect: the first ``get`` of a node imports the modules
listed there (each of which also imports the mmdet subpackage it extends, see
``mmvidseg/utils/setup_env.py``). mmseg classes are reachable with the
``mmseg.`` prefix (``type='mmseg.CrossEntropyLoss'``).

Classes that shadow an mmdet / mmcv class of the same name in the mmvidseg
scope are registered in one place, :mod:`mmvidseg.overrides`, listed in the
``locations`` of the registries they belong to. Importing this module
patches nothing (see :mod:`mmvidseg.utils.compat`).
"""
from mmvidseg.utils.compat import check_versions

check_versions()  # before mmdet's import, with the install command

# isort: off
from mmdet.registry import DATA_SAMPLERS as MMDET_DATA_SAMPLERS
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import EVALUATOR as MMDET_EVALUATOR
from mmdet.registry import HOOKS as MMDET_HOOKS
from mmdet.registry import LOG_PROCESSORS as MMDET_LOG_PROCESSORS
from mmdet.registry import LOOPS as MMDET_LOOPS
from mmdet.registry import METRICS as MMDET_METRICS
from mmdet.registry import MODEL_WRAPPERS as MMDET_MODEL_WRAPPERS
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMDET_OPTIM_WRAPPER_CONSTRUCTORS
from mmdet.registry import OPTIM_WRAPPERS as MMDET_OPTIM_WRAPPERS
from mmdet.registry import OPTIMIZERS as MMDET_OPTIMIZERS
from mmdet.registry import PARAM_SCHEDULERS as MMDET_PARAM_SCHEDULERS
from mmdet.registry import \
    RUNNER_CONSTRUCTORS as MMDET_RUNNER_CONSTRUCTORS
from mmdet.registry import RUNNERS as MMDET_RUNNERS
from mmdet.registry import TASK_UTILS as MMDET_TASK_UTILS
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
from mmdet.registry import VISBACKENDS as MMDET_VISBACKENDS
from mmdet.registry import VISUALIZERS as MMDET_VISUALIZERS
from mmdet.registry import \
    WEIGHT_INITIALIZERS as MMDET_WEIGHT_INITIALIZERS
from mmengine.registry import Registry
# isort: on

# manage all kinds of runners like `EpochBasedRunner` and `IterBasedRunner`
RUNNERS = Registry(
    'runner', parent=MMDET_RUNNERS, locations=['mmvidseg.engine'])
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor',
    parent=MMDET_RUNNER_CONSTRUCTORS,
    locations=['mmvidseg.engine'])
LOOPS = Registry(
    'loop',
    parent=MMDET_LOOPS,
    locations=['mmvidseg.engine', 'mmvidseg.overrides'])
HOOKS = Registry(
    'hook',
    parent=MMDET_HOOKS,
    locations=['mmvidseg.engine', 'mmvidseg.overrides'])

DATASETS = Registry(
    'dataset',
    parent=MMDET_DATASETS,
    locations=['mmvidseg.datasets', 'mmvidseg.overrides'])
DATA_SAMPLERS = Registry(
    'data sampler',
    parent=MMDET_DATA_SAMPLERS,
    locations=['mmvidseg.datasets'])
TRANSFORMS = Registry(
    'transform',
    parent=MMDET_TRANSFORMS,
    locations=['mmvidseg.datasets', 'mmvidseg.overrides'])

MODELS = Registry(
    'model',
    parent=MMDET_MODELS,
    locations=['mmvidseg.models', 'mmvidseg.overrides'])
MODEL_WRAPPERS = Registry(
    'model_wrapper',
    parent=MMDET_MODEL_WRAPPERS,
    locations=['mmvidseg.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer',
    parent=MMDET_WEIGHT_INITIALIZERS,
    locations=['mmvidseg.models'])

OPTIMIZERS = Registry(
    'optimizer', parent=MMDET_OPTIMIZERS, locations=['mmvidseg.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper', parent=MMDET_OPTIM_WRAPPERS, locations=['mmvidseg.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMDET_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['mmvidseg.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler',
    parent=MMDET_PARAM_SCHEDULERS,
    locations=['mmvidseg.engine'])

METRICS = Registry(
    'metric',
    parent=MMDET_METRICS,
    locations=['mmvidseg.evaluation.metrics', 'mmvidseg.overrides'])
EVALUATOR = Registry(
    'evaluator',
    parent=MMDET_EVALUATOR,
    locations=['mmvidseg.evaluation.metrics'])

TASK_UTILS = Registry(
    'task util', parent=MMDET_TASK_UTILS, locations=['mmvidseg.models'])

VISUALIZERS = Registry(
    'visualizer',
    parent=MMDET_VISUALIZERS,
    locations=['mmvidseg.visualization'])
VISBACKENDS = Registry(
    'vis_backend',
    parent=MMDET_VISBACKENDS,
    locations=['mmvidseg.visualization'])

LOG_PROCESSORS = Registry(
    'log_processor',
    parent=MMDET_LOG_PROCESSORS,
    locations=['mmvidseg.engine'])
