"""The REST API (/api/v1/). Conventions in core/api/base.py; apps register their resources
on core.api.registry.router (and other endpoints in registry.paths); the schema's extra
truths are in core/api/schema.py. This package's __init__ imports nothing: DRF imports the
pagination class while it is itself being imported."""
