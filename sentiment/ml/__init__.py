"""Sentiment model training, inference and evaluation for Voz (no Django imports here).

Modules:
- ``datasets``: loaders for the shared labelled data (``../shared/data``).
- ``model``: training (deterministic) and fast batch inference of the sentiment model,
  with a small versioned joblib artifact.
- ``evaluate``: accuracy / macro-F1 per dataset and language on the test splits, next to
  the baselines (majority class, TF-IDF + LR, VADER for English).
"""
