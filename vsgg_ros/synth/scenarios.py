"""The scenario catalogue: which props a story needs, where the person starts, and the script.

Video ``i`` of a world with seed ``s`` plays ``SCENARIOS[(offset(s) + i) % len(SCENARIOS)]`` for its
first person, so any world of at least ``len(SCENARIOS)`` videos contains every story and therefore
every predicate the activities can produce. Stories start close to their key action (a clip cut from
a longer recording), so even short clips show it; after it, an idle tail (walk, look around, wait)
fills the rest of the video without new contacts.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vsgg_ros.synth.activities import (
    Bring,
    Consume,
    Cover,
    Grab,
    Place,
    Reach,
    Script,
    Sit,
    Stand,
    Touch,
    Turn,
    Wait,
    Walk,
    WearOnBack,
    yaw_towards,
)
from vsgg_ros.synth.entities import Person, Thing
from vsgg_ros.synth.world import NEAR_Z, Layout

RIGHT, LEFT = 1, 0
Builder = Callable[[Layout, Person], Script]


def _table(layout: Layout, z_range: tuple[float, float] = (2.8, 3.5)) -> Thing:
    for x_lo, x_hi in ((-0.7, 0.7), (-1.5, 1.5)):
        table = layout.floor("table", x_range=(x_lo, x_hi), z_range=z_range, role="prop")
        if table is not None:
            return table
    raise RuntimeError("could not place the scenario table")


def _behind(table: Thing, gap: float = 0.22) -> float:
    """z of a person standing right behind a table, facing the camera."""
    return table.z + 0.5 * table.depth + gap


def _on_near_edge(layout: Layout, table: Thing, label: str, x: float, role: str = "prop") -> Thing:
    """A prop on the table within reach of someone behind it (back half, at x)."""
    z = table.z + 0.5 * table.depth - 0.14
    x = float(np.clip(x, table.x - 0.5 * table.width + 0.1, table.x + 0.5 * table.width - 0.1))
    thing = layout.on(table, label, role=role, x=x, z=z)
    if thing is None:
        raise RuntimeError(f"could not place {label} on the table")
    return thing


def _hand_x(p: Person, hand: int, offset: float = 0.18) -> float:
    """x of the spot in front of a hand for a person facing the camera (own right is image left)."""
    return p.x - offset if hand == RIGHT else p.x + offset


def _seat_behind(layout: Layout, table: Thing, p: Person) -> Thing:
    chair = layout.floor(
        "chair",
        x_range=(table.x - 0.25, table.x + 0.25),
        z_range=(_behind(table, 0.28), _behind(table, 0.32)),
        role="prop",
        tries=40,
        margin=0.0,
    )
    if chair is None:
        raise RuntimeError("could not place the chair behind the table")
    _seat_person(p, chair, (chair.x, chair.z))
    return chair


def _seat_person(p: Person, seat: Thing, point: tuple[float, float]) -> None:
    """Start the clip already seated."""
    p.x, p.z = point
    p.yaw = 0.0 if abs(seat.facing) <= 90.0 else 180.0
    p.seat, p.seat_point, p.sit, p.pose = seat.id, point, 1.0, "sit"


def drink(layout: Layout, p: Person) -> Script:
    table = _table(layout)
    p.x, p.z, p.yaw = table.x + float(layout.rng.uniform(-0.3, 0.3)), _behind(table), 0.0
    cup = _on_near_edge(layout, table, "cup/glass/bottle", _hand_x(p, RIGHT))
    if layout.rng.random() < 0.5:
        layout.on(table, "dish")
    return Script().add(
        Wait(0.3, look=cup.id),
        Reach(RIGHT, cup.id),
        Grab(RIGHT, cup.id),
        Bring(RIGHT, "chest", 0.3, look=cup.id),
        Consume(RIGHT, "drinking_from", cup.id, 1.5),
        Bring(RIGHT, "chest", 0.4),
        Place(RIGHT, table.id, cup.x, cup.z),
    )


def eat(layout: Layout, p: Person) -> Script:
    table = _table(layout)
    _seat_behind(layout, table, p)
    dish = _on_near_edge(layout, table, "dish", _hand_x(p, RIGHT, 0.15))
    food = layout.on(dish, "food" if layout.rng.random() < 0.6 else "sandwich", role="prop", x=dish.x, z=dish.z)
    if food is None:
        raise RuntimeError("could not place food on the dish")
    return Script().add(
        Wait(0.3, look=food.id),
        Reach(RIGHT, food.id),
        Grab(RIGHT, food.id),
        Consume(RIGHT, "eating", food.id, 1.6),
        Bring(RIGHT, "chest", 0.3, look=dish.id),
        Place(RIGHT, dish.id, dish.x, dish.z),
    )


def watch_tv(layout: Layout, p: Person) -> Script:
    tv = layout.wall("television", x_range=(-0.5, 0.5), role="prop")
    if tv is None:
        raise RuntimeError("could not place the television")
    for label, side in (("picture", 1.0), ("window", -1.0)):
        lo = tv.x + side * (0.5 * tv.width + 0.5)
        layout.wall(label, x_range=(min(lo, lo + side * 0.9), max(lo, lo + side * 0.9)))
    chair = layout.floor(
        "chair", x_range=(tv.x - 0.3, tv.x + 0.3), z_range=(NEAR_Z + 0.6, NEAR_Z + 1.0), role="prop", facing=180.0
    )
    if chair is None:
        raise RuntimeError("could not place the viewing chair")
    if layout.rng.random() < 0.5:
        _seat_person(p, chair, (chair.x, chair.z))
        script = Script()
    else:
        p.x, p.z, p.yaw = chair.x + 0.9, chair.z - 0.45, -90.0
        script = Script().add(Walk(chair.x, chair.z - 0.45), Turn(180.0), Sit(chair.id, (chair.x, chair.z)))
    return script.add(Wait(2.5, look=tv.id), Wait(1.0), Wait(3.0, look=tv.id))


def phone(layout: Layout, p: Person) -> Script:
    table = _table(layout)
    p.x, p.z, p.yaw = table.x + float(layout.rng.uniform(-0.3, 0.3)), _behind(table), 0.0
    ph = _on_near_edge(layout, table, "phone/camera", _hand_x(p, RIGHT))
    away = 1.2 if p.x < 0 else -1.2
    return Script().add(
        Reach(RIGHT, ph.id),
        Grab(RIGHT, ph.id),
        Bring(RIGHT, "face", 1.5, look=ph.id),
        Walk(p.x + away, p.z + 0.3, speed=0.6, look=ph.id),
        Turn(0.0),
        Wait(1.5, look=ph.id),
    )


def carry(layout: Layout, p: Person) -> Script:
    table = _table(layout)
    p.x, p.z, p.yaw = table.x + float(layout.rng.uniform(-0.3, 0.3)), _behind(table), 0.0
    label = ("box", "bag", "pillow", "book")[int(layout.rng.integers(0, 4))]
    item = _on_near_edge(layout, table, label, _hand_x(p, RIGHT, 0.22))
    side = 1.0 if layout.rng.random() < 0.5 else -1.0
    exit_x = side * (layout.view_half_width(p.z) + 1.0)
    return Script().add(
        Reach(RIGHT, item.id),
        Grab(RIGHT, item.id),
        Bring(RIGHT, "chest", 0.4),
        Walk(p.x + 0.6 * side, p.z - 0.2, look=None),
        Walk(exit_x, p.z - 0.3),
        Wait(30.0),
    )


def laptop(layout: Layout, p: Person) -> Script:
    table = _table(layout)
    _seat_behind(layout, table, p)
    lap = _on_near_edge(layout, table, "laptop", p.x)
    lap.facing = 180.0
    return Script().add(
        Wait(0.3, look=lap.id), Touch(RIGHT, lap.id, "touching", 3.0, wiggle=0.04), Wait(1.0, look=lap.id)
    )


def write(layout: Layout, p: Person) -> Script:
    table = _table(layout)
    _seat_behind(layout, table, p)
    paper = _on_near_edge(layout, table, "paper/notebook", _hand_x(p, RIGHT, 0.12))
    return Script().add(Wait(0.3, look=paper.id), Touch(RIGHT, paper.id, "writing_on", 3.0, wiggle=0.03))


def _sofa(layout: Layout) -> Thing:
    sofa = layout.floor("sofa/couch", x_range=(-0.6, 0.6), z_range=(4.2, layout.room.back_z - 0.5), role="prop")
    if sofa is None:
        raise RuntimeError("could not place the sofa")
    return sofa


def _sofa_spot(sofa: Thing, rng: np.random.Generator) -> tuple[float, float]:
    return sofa.x + float(rng.uniform(-0.25, 0.25)) * (sofa.width - 0.6), sofa.z - 0.12


def blanket(layout: Layout, p: Person) -> Script:
    sofa = _sofa(layout)
    spot = _sofa_spot(sofa, layout.rng)
    _seat_person(p, sofa, spot)
    side = 1.0 if spot[0] <= sofa.x else -1.0
    cover = layout.on(sofa, "blanket", role="prop", x=spot[0] + side * 0.55, z=sofa.z - 0.15)
    if cover is None:
        raise RuntimeError("could not place the blanket")
    cover.height = 0.3
    layout.on(sofa, "pillow")
    hand = LEFT if side > 0 else RIGHT
    return Script().add(Reach(hand, cover.id), Cover(cover.id), Wait(2.0), Wait(2.0, look=cover.id))


def wipe(layout: Layout, p: Person) -> Script:
    table = _table(layout)
    p.x, p.z, p.yaw = table.x + float(layout.rng.uniform(-0.2, 0.2)), _behind(table, 0.18), 0.0
    towel = _on_near_edge(layout, table, "towel", _hand_x(p, RIGHT))
    if layout.rng.random() < 0.6:
        layout.on(table, "cup/glass/bottle")
    return Script().add(
        Reach(RIGHT, towel.id),
        Grab(RIGHT, towel.id),
        Touch(RIGHT, table.id, "wiping", 2.5, wiggle=0.12),
        Place(RIGHT, table.id, towel.x, towel.z),
    )


def backpack(layout: Layout, p: Person) -> Script:
    bag = layout.floor("bag", z_range=(NEAR_Z + 0.5, NEAR_Z + 1.5), role="prop")
    if bag is None:
        raise RuntimeError("could not place the backpack")
    bag.variant = 1
    side = 1.0 if layout.rng.random() < 0.5 else -1.0
    z = float(layout.rng.uniform(3.0, 4.2))
    edge = layout.view_half_width(z)
    p.x, p.z, p.yaw = side * (edge + 0.2), z, yaw_towards(-side, 0.0)
    return Script().add(
        WearOnBack(bag.id), Walk(-side * 0.2, z, speed=0.9), Walk(-side * (edge + 1.0), z + 0.2), Wait(30.0)
    )


def read(layout: Layout, p: Person) -> Script:
    table = _table(layout)
    p.x, p.z, p.yaw = table.x + float(layout.rng.uniform(-0.3, 0.3)), _behind(table), 0.0
    book = _on_near_edge(layout, table, "book", _hand_x(p, RIGHT))
    return Script().add(
        Reach(RIGHT, book.id),
        Grab(RIGHT, book.id),
        Bring(RIGHT, "face", 2.5, look=book.id),
        Place(RIGHT, table.id, book.x, book.z),
    )


def door(layout: Layout, p: Person) -> Script:
    d = layout.wall("door", x_range=(-0.8, 0.8), role="prop")
    if d is None:
        raise RuntimeError("could not place the door")
    knob_x = d.x + 0.5 * d.width - 0.25
    stand_z = layout.room.back_z - 0.45
    start_x = knob_x + (1.0 if layout.rng.random() < 0.5 else -1.0)
    p.x, p.z, p.yaw = start_x, stand_z - 0.6, yaw_towards(knob_x - start_x, 0.6)
    side = 1.0 if start_x > knob_x else -1.0
    return Script().add(
        Walk(knob_x, stand_z, look=d.id),
        Turn(180.0),
        Touch(RIGHT, d.id, "touching", 1.2),
        Walk(knob_x + side * 0.8, stand_z - 1.0),
        Walk(side * (layout.view_half_width(3.5) + 1.0), 3.5),
        Wait(30.0),
    )


SCENARIOS: dict[str, Builder] = {
    "drink": drink,
    "eat": eat,
    "watch_tv": watch_tv,
    "phone": phone,
    "carry": carry,
    "laptop": laptop,
    "write": write,
    "blanket": blanket,
    "wipe": wipe,
    "backpack": backpack,
    "read": read,
    "door": door,
}


def walk_through(layout: Layout, p: Person) -> Script:
    """A second person crossing the room: enters on one side, leaves on the other."""
    rng = layout.rng
    side = 1.0 if rng.random() < 0.5 else -1.0
    z = float(rng.uniform(2.6, 5.0))
    edge = layout.view_half_width(z)
    p.x, p.z, p.yaw = side * (edge + float(rng.uniform(0.2, 1.5))), z, yaw_towards(-side, 0.0)
    return Script().add(
        Walk(-side * (edge + 1.0), z + float(rng.uniform(-0.4, 0.4)), speed=float(rng.uniform(0.7, 1.3)))
    )


def stand_and_look(layout: Layout, p: Person) -> Script:
    """A second person standing in the room, looking at something on the wall or around."""
    rng = layout.rng
    main = layout.persons[0]
    for _ in range(20):
        z = float(rng.uniform(3.0, 5.0))
        p.x, p.z = float(rng.uniform(-0.8, 0.8)) * layout.view_half_width(z), z
        if abs(p.x - main.x) > 0.9 or p.z > main.z + 0.5:
            break
    p.yaw = float(rng.uniform(-60.0, 60.0))
    wall = [t.id for t in layout.things.values() if t.mount == "wall"]
    look = wall[int(rng.integers(0, len(wall)))] if wall else None
    return Script().add(Wait(float(rng.uniform(1.0, 3.0))), Wait(float(rng.uniform(2.0, 4.0)), look=look))


SECONDARY: dict[str, Builder] = {"walk_through": walk_through, "stand_and_look": stand_and_look}


def idle_tail(layout: Layout, p: Person, script: Script, seconds: float) -> Script:
    """Append non-interactive behaviour (wait, look around, stroll) until the script lasts ``seconds``."""
    rng = layout.rng
    seated = p.sit > 0.0 or any(isinstance(a, Sit) for a in script.steps)
    while script.seconds() < seconds:
        if seated and rng.random() < 0.8:
            script.add(Wait(float(rng.uniform(1.0, 3.0))))
            continue
        if seated:
            script.add(Stand())
            seated = False
        z = float(rng.uniform(2.8, 5.2))
        x = float(rng.uniform(-0.8, 0.8)) * layout.view_half_width(z)
        script.add(Walk(x, z, speed=float(rng.uniform(0.6, 1.1))))
        script.add(Turn(float(rng.uniform(-70.0, 70.0))), Wait(float(rng.uniform(0.8, 2.5))))
    return script


def scenario_for(seed: int, index: int) -> str:
    """Name of the scenario of video ``index``: consecutive videos walk through the catalogue."""
    names = list(SCENARIOS)
    offset = int(np.random.SeedSequence([seed]).generate_state(1)[0]) % len(names)
    return names[(offset + index) % len(names)]
