"""The collector HTTP API (contract C7) and health endpoint."""
