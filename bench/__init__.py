"""FLTR benchmarks: each compares FLTR against a baseline measured in the same run."""
