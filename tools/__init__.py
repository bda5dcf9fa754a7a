"""Maintainer tools: not part of the installed package or the image (run from the repository root)."""
