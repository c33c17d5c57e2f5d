"""The HTTP API (``kb-assistant serve``): the answer pipeline, the checker and the articles over HTTP.

``create_app(settings, assistant=None)`` builds the FastAPI app; ``create_app_from_env`` is the
factory uvicorn calls in each worker. Routes and their documents are in docs/interfaces.md, 'HTTP API'.
"""

from assistant.api._app import MAX_BODY_BYTES, create_app, create_app_from_env
from assistant.api._logging import log_config

__all__ = ["MAX_BODY_BYTES", "create_app", "create_app_from_env", "log_config"]
