# Benchmarks: measured and printed, never asserted.
bench: install ## benchmarks into bench/results.json: /whoami cache, throughput side by side, a hung AWS
	$(PY) -m bench.whoami
	$(PY) -m bench.hung_aws
	$(PY) -m bench.throughput
