pytest_plugins = ["liveline_devstack.pytest_plugin"]
