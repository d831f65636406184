"""A fixed list of common lowercase English words for the sentence tasks (word-flip, count-letters).

Every length from 1 to 8 letters is present, so a sentence of exactly n letters can always be
completed with one last word.
"""

from __future__ import annotations

import random

WORDS = tuple(
    """
    a an as at be by do go he if in is it me my no of on or so to up us we
    act age air and any arm art ask bad bag bed big box boy bus buy car cat cup cut day dog
    dry ear eat egg end eye far fit fly fun gas get hat hot ice job key kid law leg let lot
    map men mix new now odd oil old one our own pay pen put red run sea see set sit sky sun
    tea ten top toy two use war way wet win yes yet
    able area back ball bank best bird blue boat body book call card care city cold cool
    dark door down draw easy face fact farm fast fire fish food foot form game gift girl
    gold good hair half hand head hear help high hill home hope idea iron king lake land
    late left life line list long lose love main make milk mind moon move name near nice
    note open park path plan play rain rest rice road rock room rule safe salt sand seed
    ship shop side sing snow song soft star step stop talk tall team time town tree true
    view walk wall warm wave wind wise wood word work year
    apple beach bread brick chair clean clock cloud dance dream drink earth field floor
    fruit glass grass green heart horse house light lunch money month music night ocean
    paper party peace plant queen quiet radio river round salad sheep shirt sleep smile
    sound space sport stone storm story sugar table tiger train truck water whale world
    animal autumn basket bottle bridge butter camera candle castle cheese circle coffee
    dinner doctor flower forest garden guitar island jacket kitten ladder letter market
    mirror monkey orange pencil pepper planet pocket rabbit ribbon rocket school silver
    spring summer ticket tomato travel window winter yellow
    balance blanket cabbage captain chicken cottage diamond dolphin example factory
    feather freedom general harvest history kitchen library machine meadow morning
    network orchard package picture pumpkin rainbow science shelter station student
    sunrise teacher thunder tractor trumpet village weather
    airplane alphabet birthday building calendar champion chemical daughter elephant
    evidence festival football hospital language mountain notebook painting
    question sandwich shoulder squirrel strength sunshine treasure umbrella vacation
    """.split()
)
BY_LENGTH: dict[int, tuple[str, ...]] = {
    n: tuple(w for w in WORDS if len(w) == n) for n in range(1, 1 + max(map(len, WORDS)))
}
MAX_WORD = max(BY_LENGTH)


def sentence_with_letters(rng: random.Random, letters: int) -> str:
    """Words joined by single spaces whose letters (spaces not counted) number exactly ``letters``."""
    words: list[str] = []
    left = letters
    while left > 0:
        length = rng.randint(1, min(left, MAX_WORD)) if left > MAX_WORD else left
        if left <= MAX_WORD and rng.random() < 0.7 and left > 2:
            length = rng.randint(2, left)  # often split the tail, so the last word is not always long
        words.append(rng.choice(BY_LENGTH[length]))
        left -= length
    return " ".join(words)


def sentence_with_words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))
