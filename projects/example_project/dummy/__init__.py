from .dummy_backbone import DummyResNet

__all__ = ['DummyResNet']
