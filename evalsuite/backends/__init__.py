"""Model backends: openai-compatible servers, the embedded model, replay, oracle, lm-eval."""
