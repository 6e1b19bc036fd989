"""Kernel: base models, tenancy primitives and the domain error types every app shares."""
