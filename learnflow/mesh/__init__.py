"""Running the whole LearnFlow mesh on one machine: toolchain bootstrap and process supervisor."""
