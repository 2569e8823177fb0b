"""Datasets: the catalog's central table, its access policy and its ``/api/v1/datasets`` API."""
