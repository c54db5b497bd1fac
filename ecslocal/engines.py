"""The container engines the local runtime can run the task's container with.

``process``: the image's command as a process of this machine, from the project tree (no Docker).
``docker``: a real container of the image (:mod:`ecslocal.engine_docker`), built when stale.
"""

PROCESS_ENGINE = "process"
DOCKER_ENGINE = "docker"
ENGINES = (PROCESS_ENGINE, DOCKER_ENGINE)
