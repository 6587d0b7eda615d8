"""Training: data mixtures and packing, chat rendering with loss masks, MT stages and SFT on the
transformers Trainer, HF checkpoints with metadata. Entry points: `mt.run_mt`, `sft.run_sft`."""
