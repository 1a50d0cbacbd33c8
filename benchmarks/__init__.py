"""`make bench`: LearnFlow's speed and memory figures, each next to a baseline from the same run."""
