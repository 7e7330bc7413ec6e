"""`make stress`: load, soak, faults and hostile input against our servers, with figures (bench/results/
reliability.{json,md}; the runner is stress/run.py, the contract between sections is /work/spec/stress-api.md and
docs/reliability.md)."""
