"""An entry point whose module raises on import: golive reports it and runs the rest."""

raise RuntimeError("example plugin failed to import")
