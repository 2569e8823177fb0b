"""Text -> vectors. ``factory.build_embedder`` picks the implementation; everything else
codes against ``base.Embedder``. This package imports nothing itself, and ONNX Runtime loads
only when a MiniLM model is first used."""
