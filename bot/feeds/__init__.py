"""Feed ingest: the HTTP fetcher with its SSRF guard, the feed parser and the poll loop."""
