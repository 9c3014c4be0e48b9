"""How to install what a skipped test needs: the extras of pyproject.toml,
named once for every skip reason."""

TEST = 'pip install -e ".[test]"'
INTEROP = 'pip install -e ".[test,interop]"'


def missing(package: str, extra: str = INTEROP) -> str:
    """The skip reason for a test that needs ``package``."""
    return f"{package} is not installed: {extra}"
