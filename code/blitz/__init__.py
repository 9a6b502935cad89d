"""blitz: the code behind *Learn PyTorch in One Hour*.

Each module belongs to a chapter of the book, which shows its source; see the
docstrings for where each function is introduced.
"""

__version__ = "0.1.0"
