"""Book tooling: what `make` runs to build, check and publish the book.

Not part of the reader's package ``blitz``: these modules import ``blitz``,
never the reverse, and may depend on the documentation toolchain (jupytext,
nbformat, nbclient, PyYAML). Run them from the repository root as
``python -m tools.<module>`` (the Makefile does).
"""
