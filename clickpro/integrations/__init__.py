"""Integrations with external APIs (Meta Graph API, OpenAI)."""
