"""A local ECS runtime: runs the shipped task definition on one machine, with both roles enforced.

An embedded moto server stands for AWS (IAM enforcement on), a local agent does what the ECS agent
does with the execution role (image check, secrets, log shipping), loopback endpoints serve the task
role's credentials and the task metadata (v4), and the container's command runs as a subprocess
with the environment a Fargate container gets. ``python -m ecslocal --help`` lists the commands.
"""
