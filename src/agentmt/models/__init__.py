"""Models: the embedded checkpoint and its server, and the OpenAI-compatible client.

Agent models by name (embedded, gold, scripted, URL) are built by `agentmt.agents.registry.make_model`.
"""
