"""Models of the talks area of 党员之家."""

__all__: list[str] = []
