"""The System Usability Scale (Brooke, 1996): ten statements answered 1 (strongly disagree) to 5
(strongly agree), scored 0 to 100.

Odd items are worded positively and score ``answer - 1``; even items negatively and score
``5 - answer``. The sum (0 to 40) times 2.5 is the SUS score. 68 is the usual average.
"""

from __future__ import annotations

from collections.abc import Sequence

SUS_ITEMS_EN = (
    "I think that I would like to use this system frequently.",
    "I found the system unnecessarily complex.",
    "I thought the system was easy to use.",
    "I think that I would need the support of a technical person to be able to use this system.",
    "I found the various functions in this system were well integrated.",
    "I thought there was too much inconsistency in this system.",
    "I would imagine that most people would learn to use this system very quickly.",
    "I found the system very cumbersome to use.",
    "I felt very confident using the system.",
    "I needed to learn a lot of things before I could get going with this system.",
)
SUS_AVERAGE = 68.0


def sus_score(answers: Sequence[int]) -> float:
    """The SUS score of ten answers, each a whole number from 1 to 5 (ValueError otherwise)."""
    if isinstance(answers, str | bytes) or len(answers) != 10:
        raise ValueError("SUS needs exactly 10 answers")
    total = 0
    for number, answer in enumerate(answers, start=1):
        if isinstance(answer, bool) or not isinstance(answer, int) or not 1 <= answer <= 5:
            raise ValueError(f"SUS answer {number} must be a whole number from 1 to 5")
        total += answer - 1 if number % 2 else 5 - answer
    return total * 2.5
