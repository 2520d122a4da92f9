"""Numbers written in the alphabets of real pagination tokens, so simulated cursors look like the real ones."""
from __future__ import annotations

__all__ = ["in_alphabet"]


def in_alphabet(number: int, alphabet: str, width: int) -> str:
    """`number` (>= 0) written with the digits of `alphabet` (its length is the base), left-padded to `width`.

    >>> in_alphabet(100, "0123456789ABCDEFGHIJKLMNOPQRSTUV", 4), in_alphabet(0, "01", 3)
    ('0034', '000')
    """
    base, digits = len(alphabet), ""
    while True:
        number, rest = divmod(number, base)
        digits = alphabet[rest] + digits
        if not number:
            return digits.rjust(width, alphabet[0])
