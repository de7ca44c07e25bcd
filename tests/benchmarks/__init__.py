"""Parts of `make bench` (`python -m tests.bench`): see tests/bench.py."""
