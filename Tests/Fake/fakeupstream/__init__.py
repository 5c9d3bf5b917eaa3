"""Loopback fake of the Trakt API, Trakt OAuth (auth host) and TMDB v3, served on one port.

Run it through ``Tests/Fake/fake_upstream.py``; see ``Tests/Fake/README.md`` for the control API.
"""
