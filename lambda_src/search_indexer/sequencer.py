"""S3 sequencers: per-key ordering of PUTs and DELETEs.

AWS: "compare the sequencer strings ... if they are different lengths, pad the shorter value with zeros on the
left, then do a lexicographical comparison". Sequencers are hex; emulators send them lower case. We store them
upper case and left-padded to a fixed width, so DynamoDB's string comparison in condition expressions is exactly
the AWS ordering.
"""

from __future__ import annotations

import re

WIDTH = 64
_HEX = re.compile(r"[0-9A-Fa-f]+")


class SequencerError(ValueError):
    pass


def normalize(sequencer: str | None) -> str:
    if not sequencer or not _HEX.fullmatch(sequencer):
        raise SequencerError(f"sequencer must be a hex string, got {sequencer!r}")
    # Leading zeros carry no order (AWS pads the shorter value with zeros), so only significant digits count.
    significant = sequencer.lstrip("0") or "0"
    if len(significant) > WIDTH:
        raise SequencerError(f"sequencer longer than {WIDTH} hex digits: {sequencer!r}")
    return significant.upper().rjust(WIDTH, "0")


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as sequencer a orders before, with or after b."""
    na, nb = normalize(a), normalize(b)
    return (na > nb) - (na < nb)
