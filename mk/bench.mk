# Benchmarks: measured and printed, never asserted.
bench: install ## benchmarks: /whoami (cached identity vs STS); image size, warm build, start to healthy per ENGINE
	$(PY) -m bench.whoami
	$(PY) -m bench.image
