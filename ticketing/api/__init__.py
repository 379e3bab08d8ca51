"""JSON API v1. `uvicorn ticketing.api:app` serves it with no frontend."""

from ticketing.api.app import create_api

app = create_api()
