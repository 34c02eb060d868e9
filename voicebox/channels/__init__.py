"""Channels: each turns its wire format into InboundMessage and renders OutboundMessage."""
