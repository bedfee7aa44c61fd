# Copyright (c) mmvidseg contributors. All rights reserved.
from .ytvis_ap import evaluate_ytvis  # noqa: F401,E402
from .ytvis_io import (YTVISGroundTruth, check_ytvis_results,  # noqa: F401
                       dump_ytvis_results, read_ytvis_results,
                       write_ytvis_submission, ytvis_2022_ap, ytvis_ap)
from .burst import evaluate_burst  # noqa: F401,E402
from .hota import hota_sequence  # noqa: F401,E402
from .mots import evaluate_mots  # noqa: F401,E402
from .stq import STQuality  # noqa: F401,E402
from .vpq import compute_vpq, frame_stats  # noqa: F401,E402
from .mots_hota import evaluate_mots_hota  # noqa: F401,E402
from .davis import (davis_summary, db_statistics,  # noqa: F401,E402
                    evaluate_davis_sequence)
from .refer import (expression_jf, refer_a2d_metrics,  # noqa: F401,E402
                    refer_jf_summary)
from .coco_videos import (coco_videos_summary, frame_mask_ap,  # noqa: F401
                          frame_pq)
from .refer_io import (combine_annotator_masks,  # noqa: F401,E402
                       evaluate_ref_davis_folder, evaluate_refer_folder,
                       write_refer_submission)
from .frame_miou import frame_miou, weighted_video_mean  # noqa: F401,E402
