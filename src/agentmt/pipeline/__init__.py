"""One-command pipelines: `agentmt run PIPELINE.yaml` runs stages in order, skipping unchanged ones."""

from agentmt.pipeline.run import StageResult, run_pipeline
from agentmt.pipeline.spec import PipelineError, PipelineSpec, PipelineStage, load_pipeline

__all__ = ["PipelineError", "PipelineSpec", "PipelineStage", "StageResult", "load_pipeline", "run_pipeline"]
