"""Accuracy studies: evaluation, calibration, compare, tune, data sets, executors."""
