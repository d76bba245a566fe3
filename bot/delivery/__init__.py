"""Delivery: draining the outbox into the chat platforms."""
