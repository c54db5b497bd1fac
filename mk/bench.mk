# Benchmarks: measured and printed, never asserted.
bench: install ## benchmark /whoami: cached identity vs STS on every call, against a moto server
	$(PY) -m bench.whoami
	$(PY) -m bench.hung_aws
