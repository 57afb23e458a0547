"""Data-quality checks: Great Expectations suites run on pandas frames, and Dagster asset checks."""
