"""A run folder exported to the tools labs already use.

source.py          the run folder read for export: trials, parameters, per-epoch scalars, all sanitised
to_tensorboard.py  TensorBoard event files per trial, with the HParams dashboard's summaries
to_mlflow.py       MLflow: a parent run for the sweep, a child run per trial
command.py         `sweepdeck export`: once, or following a running sweep
"""
