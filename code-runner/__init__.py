"""LearnFlow's code runner: a sandbox for learner Python, served as MCP tools and a Dapr app.

`code_runner.sandbox` (run_python, run_tests) is what other code calls; see README.md.
"""
