"""The `governance` command: the outer layer. It formats; governance/ decides; flows/ orchestrates.

`app` is the root (entry point `cli.app:main`); each command group is a module of its own that imports
`cli.context` and `cli.render`, never `cli.app`.
"""
