"""m2bridge: MiniMax-M2 from any editor or terminal, with its interleaved thinking kept intact."""

__version__ = "0.1.0"

__all__ = ["__version__"]
