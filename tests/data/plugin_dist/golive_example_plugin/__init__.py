"""Example golive checks shipped as a separate distribution."""
