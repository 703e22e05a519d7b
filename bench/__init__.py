"""The benchmark: the product's stack and two reference servers under the same load (python -m bench)."""
