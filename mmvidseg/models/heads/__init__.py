# Copyright (c) mmvidseg contributors. All rights reserved.
from .stqi_head import STQIHead  # noqa: F401
from .tevit_roi_head import TeViTRoIHead  # noqa: F401
from .stemseg_decoders import (StemSegEmbeddingHead,  # noqa: F401
                               StemSegSemsegHead, StemSegSeedinessHead)
from .dynamic_mask_head import DynamicMaskHead  # noqa: F401
from .tarvis_decoder import TarViSDecoder  # noqa: F401
from .tarvis_embedding_container import TarViSEmbeddingContainer  # noqa: F401
from .tarvis_object_encoder import TarViSObjectEncoder  # noqa: F401
from .mttr_head import MTTRHead  # noqa: F401
from .mask2former_recon_head import Mask2FormerReconHead  # noqa: F401
from .mask2former_ttt_fusion_head import \
    Mask2FormerTTTFusionHead  # noqa: F401
