"""QoS choices of the nodes, as plain data (the node turns them into rclpy QoSProfiles).

Camera input follows REP-2003's sensor-data profile: keep-last, depth 1, best effort, volatile. A best
effort subscription matches both reliable and best-effort publishers, which is why it is the default;
asking for ``reliable`` against a best-effort camera driver silently receives nothing, the most common
"no output" report for perception nodes (yolo_ros #15, #17, #65). The vocabulary is latched: reliable +
transient local, so late joiners and ``ros2 bag record`` get it.
"""

from __future__ import annotations

from dataclasses import dataclass

RELIABILITIES = ("best_effort", "reliable", "system_default")


@dataclass(frozen=True)
class QosSettings:
    reliability: str
    durability: str = "volatile"
    depth: int = 1

    def __post_init__(self) -> None:
        if self.reliability not in RELIABILITIES:
            raise ValueError(f"qos reliability {self.reliability!r} is not one of {', '.join(RELIABILITIES)}")
        if self.durability not in ("volatile", "transient_local"):
            raise ValueError(f"qos durability {self.durability!r} is not volatile or transient_local")
        if self.depth < 1:
            raise ValueError(f"qos depth must be >= 1, got {self.depth}")


def image_qos(reliability: str, depth: int = 1) -> QosSettings:
    """The camera subscription: keep-last ``depth`` (1: only the newest image matters), volatile."""
    return QosSettings(reliability=reliability, depth=depth)


OUTPUT_QOS = QosSettings(reliability="reliable", depth=10)
LATCHED_QOS = QosSettings(reliability="reliable", durability="transient_local", depth=1)


def incompatible_qos_message(topic: str, policy: str, ours: QosSettings, side: str = "subscription") -> str:
    """What to tell the user when DDS refuses to connect a publisher and our subscription (or vice versa)."""
    hint = ""
    if policy.upper() == "RELIABILITY" and side == "subscription":
        hint = (
            f"; our subscription asks for {ours.reliability} but the publisher is best effort: "
            "set the parameter qos_reliability:=best_effort"
        )
    elif policy.upper() == "DURABILITY":
        hint = f"; our side is {ours.durability}, the other side cannot provide/accept that durability"
    elif policy.upper() == "RELIABILITY":
        hint = "; a subscriber asks for reliable delivery but this output is best effort"
    return f"incompatible QoS on {topic}: policy {policy} does not match, no messages will flow{hint}"


def no_input_message(topic: str, seconds: float, ours: QosSettings, received: int) -> str:
    """The watchdog's warning when no image has arrived for ``seconds``."""
    what = "no image has arrived" if received == 0 else "no new image has arrived"
    return (
        f"{what} on {topic} for {seconds:.1f} s (subscription: {ours.reliability}, depth {ours.depth}). "
        f"Check `ros2 topic info -v {topic}` for a publisher and its QoS, and that the topic is remapped "
        "(launch argument image_topic) and of the type chosen by the parameter compressed"
    )
