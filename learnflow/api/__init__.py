"""HTTP plumbing shared by every LearnFlow service: app factory, problem mapping, pub/sub."""
