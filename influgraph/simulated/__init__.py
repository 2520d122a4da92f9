"""The simulated platform: a deterministic social world and fake X API / Bluesky AppView servers on 127.0.0.1.

Used by the credential-free demo and by the crawler tests; the servers are held to the published
API contracts and the recorded real responses. Nothing here reads files or touches a workspace.
"""
from __future__ import annotations

from .server import Fault, SimServer
from .world import MASS_HASHTAG, NICHES, Niche, World, build_world
from .world_batch import world_batch

__all__ = ["World", "Niche", "build_world", "NICHES", "MASS_HASHTAG", "SimServer", "Fault", "world_batch"]
