# The local ECS runtime: the task definition on one machine, both roles enforced by moto.
ENGINE ?= process

demo: install ## run the task locally (moto, agent, endpoints, gunicorn) on 127.0.0.1:8080 and its console on :8081 (DEMO_PORT, CONSOLE_PORT, ENGINE=docker)
	$(PY) -m ecslocal demo --port $(DEMO_PORT) --console-port $(CONSOLE_PORT) --engine $(ENGINE)

demo-env: install ## print export lines that put a shell inside the running demo (eval them)
	@$(PY) -m ecslocal env

tour: install ## show, step by step, what the execution role and the task role may and may not do
	$(PY) -m ecslocal tour
