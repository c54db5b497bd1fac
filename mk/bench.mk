# Benchmarks: measured and printed, never asserted.
bench: install ## benchmarks into bench/results.json: /whoami cache, throughput, a hung AWS; image size, build, start per ENGINE
	$(PY) -m bench.whoami
	$(PY) -m bench.hung_aws
	$(PY) -m bench.throughput
	$(PY) -m bench.image
