"""Accord NLU: training data per language, custom components and the evaluation."""
