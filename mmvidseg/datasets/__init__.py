# Copyright (c) mmvidseg contributors. All rights reserved.
from mmvidseg.utils.setup_env import prepare_upstream

prepare_upstream()  # mmdet classes registered, compat fixes applied

from .transforms import *  # noqa: F401,F403,E402
from .youtube_vis import (OVIS_CLASSES, YTVIS_2019_CLASSES,  # noqa: E402
                          YTVIS_2021_CLASSES, AnnotationError, OVISDataset,
                          YouTubeVISDataset)
from .davis import DAVISDataset  # noqa: F401,E402
from .kitti_mots import KITTIMOTSDataset  # noqa: F401,E402
from .stemseg_json import StemSegJSONDataset  # noqa: F401,E402
from .pseudo_clip import ImagePseudoClipDataset  # noqa: F401,E402
from .panoptic_pseudo_clip import PanopticPseudoClipDataset  # noqa: F401,E402
from .weighted_concat import WeightedConcatDataset  # noqa: F401,E402
from .vps import (CityscapesVPSDataset, KITTISTEPDataset,  # noqa: F401,E402
                  VIPSegDataset)
from .frame_stream import (AddEmptyInstances,  # noqa: F401,E402
                           FrameStreamDataset, KITTIStepStream,
                           LoadStreamSemSeg)
from .coco_videos import COCOVideosStream, LoadCOCOVideosPanoptic  # noqa: F401,E402
from .ref_youtube_vos import (RefDAVISDataset,  # noqa: F401,E402
                              RefYouTubeVOSDataset)
from .a2d_sentences import A2DSentencesDataset  # noqa: F401,E402
from .jhmdb_sentences import JHMDBSentencesDataset  # noqa: F401,E402
from .samplers import TaskAwareBatchSampler  # noqa: F401,E402
from .task_tagged import TaskTaggedDataset  # noqa: F401,E402
from .burst import BURSTDataset  # noqa: F401,E402
from .vos_clips import TarViSVOSClips  # noqa: F401,E402
