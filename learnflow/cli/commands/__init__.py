"""Sub-commands of the `learnflow` CLI: each module here exposes `register(subparsers)`."""
