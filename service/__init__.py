"""The courier service: a Flask app on ECS that uses the task role, with a runtime credential checker."""
