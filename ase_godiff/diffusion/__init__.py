"""Variance-exploding diffusion: the SDE, the reverse-time sampler and the loss."""
