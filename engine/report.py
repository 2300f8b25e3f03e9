"""Placeholder: the report (issue 3) is being written. See engine/analysis/."""
