# Copyright (c) mmvidseg contributors. All rights reserved.
from mmvidseg.utils.setup_env import prepare_upstream

prepare_upstream()  # mmdet classes registered, compat fixes applied

from .youtube_vis_metric import YouTubeVISMetric  # noqa: F401,E402
from .burst_hota_metric import BURSTHOTAMetric  # noqa: F401,E402
from .kitti_mots_metric import KITTIMOTSMetric  # noqa: F401,E402
from .stq_metric import STQMetric  # noqa: F401,E402
from .vpq_metric import VPQMetric  # noqa: F401,E402
from .davis_metric import DAVISMetric  # noqa: F401,E402
from .refer_metric import ReferMetric  # noqa: F401,E402
from .refer_jf_metric import ReferJFMetric  # noqa: F401,E402
from .coco_videos_metric import COCOVideosMetric  # noqa: F401,E402
from .frame_miou_metric import FrameMIoUMetric  # noqa: F401,E402
