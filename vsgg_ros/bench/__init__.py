"""Benchmarks behind `vsgg bench`: each returns a JSON-ready dict."""
