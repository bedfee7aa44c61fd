from mmdet.models.backbones import ResNet

from mmvidseg.registry import MODELS


@MODELS.register_module()
class DummyResNet(ResNet):
    """A ResNet registered from outside mmvidseg: the extension pattern.

    It counts its forward calls so a test can see it was really used.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.num_calls = 0

    def forward(self, x):
        self.num_calls += 1
        return super().forward(x)
