"""The media service's use cases: one async function per command or event, each given the
service's dependencies (built in bootstrap.py) and, for a command, the caller. They call
`domain` for decisions and `adapters` for storage and messaging; api/routes and consumers.py
only translate and call them. A package with a module per resource once it passes ~400 lines.
"""
