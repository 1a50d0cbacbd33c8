"""The tutor agent service (Dapr app id `tutor`): see README.md."""
