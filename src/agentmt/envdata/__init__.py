"""D_env: graded trajectories rendered as mid-training text and SFT chat rows (`agentmt envdata`)."""
