# Copyright (c) mmvidseg contributors. All rights reserved.
from .stemseg_losses import (StemSegEmbeddingLoss,  # noqa: F401
                             StemSegSemsegLoss)
from .tarvis_losses import TarViSInstanceLoss, TarViSSemanticLoss  # noqa: F401
from .tarvis_vos_loss import TarViSVOSLoss, condense_object_logits  # noqa: F401
from .mttr_loss import MTTRCriterion  # noqa: F401
