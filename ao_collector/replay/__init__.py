"""Replays started by the collector (`POST /api/v1/runs/{run_id}/replay`, with `serve --allow-replay`)."""
