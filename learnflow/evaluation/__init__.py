"""Offline evaluations of LearnFlow's behaviour against labelled data (run in `make test`)."""
