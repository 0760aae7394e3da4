# The single place mmlean's version is defined (setup.py reads it).
__version__ = '0.1.0'


def parse_version_info(version_str: str) -> tuple:
    """Turn '0.1.0' or '0.1.0rc1' into a comparable tuple such as (0, 1, 0)."""
    parts = []
    for token in version_str.split('.'):
        digits = ''.join(ch for ch in token if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


version_info = parse_version_info(__version__)
