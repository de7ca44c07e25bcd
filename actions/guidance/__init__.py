"""The photographer's step-by-step guidance (content in guidance/<lang>.yml)."""
