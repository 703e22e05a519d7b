"""An asyncio load tool for the messenger's /ws/ protocol (API.md "WebSocket"): python -m loadtest --help."""
