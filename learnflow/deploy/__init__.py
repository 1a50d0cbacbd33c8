"""Deployment helpers: render the cluster and container variants of `components/`."""
