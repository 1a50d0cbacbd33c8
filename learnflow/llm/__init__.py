"""Models for the agents: an OpenAI-compatible endpoint when configured, else the offline model."""
