"""Model presets for the LLM customer (presets YAML; GGUF files are never committed)."""
