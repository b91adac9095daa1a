"""Prefect flows over governance/, and the `governance` CLI. The only place prefect is imported."""
