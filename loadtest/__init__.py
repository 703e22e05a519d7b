"""An asyncio load tool for the messenger's /ws/ protocol (docs/api.md "WebSocket"): python -m loadtest --help."""
