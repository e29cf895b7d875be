"""The pieces of bench/run.py: see that file."""
