"""Connections to the shop systems that send Voz their data, a channel like reviews or surveys.

The API clients (tokens and scopes) every API call is checked against are the kernel's plumbing and
live in core; this app keeps the migrations that first created their table, which core's build on.
"""
