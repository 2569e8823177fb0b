"""Search over a dataset version's chunks: REST endpoints, filters, billing per call."""
