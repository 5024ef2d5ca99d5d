"""The practice app (Textual). The only package that imports Textual; it sits at the edge, on top of the core."""
