"""A greeter with two console scripts (see pyproject.toml's [project.scripts])."""
